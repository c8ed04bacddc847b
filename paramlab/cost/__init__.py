"""What a generation cost: GPU-independent compute (:mod:`.compute`), per-phase wall time
(:mod:`.timing`) and the optional CUDA probes for VRAM and energy (:mod:`.gpu`).

The recorder in :mod:`paramlab.webui` feeds these from A1111's hooks; nothing here imports the WebUI.
Kept free of imports so reading one measure does not load the others.
"""
