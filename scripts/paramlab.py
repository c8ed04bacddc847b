"""A1111 loads this file as a script: it only re-exports ParamLab's scripts and registers callbacks."""

from paramlab.webui import callbacks
from paramlab.webui.extras import ParamLabExtras  # noqa: F401 - A1111 registers postprocessing scripts it finds here
from paramlab.webui.script import ParamLabScript  # noqa: F401 - A1111 registers Script subclasses it finds here

callbacks.register()
