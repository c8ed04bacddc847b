"""Builtin scripts that webui appends after every extension script."""
