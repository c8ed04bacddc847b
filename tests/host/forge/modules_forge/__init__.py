"""Stand-in for Forge's ``modules_forge`` package: its presence is how extensions tell Forge from A1111."""
