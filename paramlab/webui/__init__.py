"""The WebUI side of ParamLab: the only package whose modules may import the WebUI's ``modules``.

Keep this ``__init__`` free of imports: the standalone page imports :mod:`paramlab.webui.gr_compat`
outside the WebUI, where ``modules`` does not exist.
"""
