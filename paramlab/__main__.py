"""Entry point for ``python -m paramlab``."""

import sys

from paramlab.cli import main

sys.exit(main())
