"""A1111 and Forge load this file as a script: it only exposes ParamLab's scripts, which register callbacks."""

from paramlab.webui.entry import load_scripts

# The WebUI registers the Script (and postprocessing Script) subclasses it finds here: the always-on
# ParamLab, its Extras part and the selectable "ParamLab A/B test"; None if a package is missing.
ParamLabScript, ParamLabExtras, ParamLabABTest = load_scripts()
