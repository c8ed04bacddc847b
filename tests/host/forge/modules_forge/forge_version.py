"""Stand-in for ``modules_forge/forge_version.py`` at dfdcbab6."""

version = "2.0.1v1.10.1"
