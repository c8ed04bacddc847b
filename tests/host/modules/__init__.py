"""Stand-in for A1111 v1.10.1's ``modules`` package (or Forge's, under gradio 4), used only by the tests."""

from modules import _standin_flavour  # noqa: F401 - puts Forge's own packages on sys.path under gradio 4
