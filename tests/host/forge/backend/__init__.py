"""Stand-in for Forge's ``backend`` package: the parts ParamLab reads (args, memory management, attention)."""
