"""The WebUI side of ParamLab: the only package whose modules may import the WebUI's ``modules``.

Dependencies point one way: this adapter imports :mod:`paramlab.tab` and the core, and nothing outside
this package imports it. Gradio helpers both sides need live in :mod:`paramlab.gradio_compat`.
"""
