"""The matrix section: an X/Y/Z plot's cells as a table of images and figures."""
