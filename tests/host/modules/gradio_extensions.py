"""Stand-in for Forge's ``modules/gradio_extensions.py`` (A1111 spells it ``gradio_extensons``)."""

from modules.gradio_extensons import apply  # noqa: F401 - the same patches
