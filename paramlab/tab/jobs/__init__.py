"""The jobs section: every press of Generate, its runs and images."""
