"""Old name of ``modules.infotext_utils`` (the real one is aliased in sys.modules)."""

from __future__ import annotations

import sys

from modules import infotext_utils

sys.modules[__name__] = infotext_utils
