"""ParamLab: named settings, seed lock and a cost/quality ledger for Stable Diffusion WebUI.

The core package never imports the WebUI's ``modules``; only :mod:`paramlab.webui` does, and nothing
outside :mod:`paramlab.webui` imports it (imports run webui → tab → core).
"""

__version__ = "0.1.0"
