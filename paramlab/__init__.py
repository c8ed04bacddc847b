"""ParamLab: named settings, seed lock and a cost/quality ledger for Stable Diffusion WebUI.

The core package never imports the WebUI's ``modules``; only :mod:`paramlab.webui` does.
"""

__version__ = "0.1.0"
