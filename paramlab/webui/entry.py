"""What ``scripts/paramlab.py`` runs: load ParamLab's script and callbacks, or say in one line why not.

A package that ``install.py`` brings can still be missing (the WebUI started with ``--skip-install``,
or pip failed offline). The WebUI would then print a long "Error loading script" traceback; this
prints one line naming the package and how to get it, and the WebUI runs on without ParamLab.
"""

from __future__ import annotations

import logging

log = logging.getLogger("paramlab")


def load_scripts() -> tuple[type | None, type | None, type | None]:
    """ParamLab's Script, its postprocessing (Extras) script and the selectable "ParamLab A/B test"
    with the callbacks registered, or (None, None, None) when a dependency is missing."""
    try:
        from paramlab.webui import callbacks
        from paramlab.webui.abtest_script import ParamLabABTest
        from paramlab.webui.extras import ParamLabExtras
        from paramlab.webui.script import ParamLabScript
    except ImportError as exc:
        from paramlab.dependencies import install_hint

        module = getattr(exc, "name", None) or str(exc)
        log.error("ParamLab is not loaded: the package %r is missing; %s.", module, install_hint(module))
        return None, None, None
    callbacks.register()
    return ParamLabScript, ParamLabExtras, ParamLabABTest
