"""The upscale section: tile upscales, their passes and what they cost."""
