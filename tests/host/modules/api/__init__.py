"""Stand-in for ``modules/api``."""
