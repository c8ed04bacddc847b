"""Stand-in for ``modules/shared_cmd_options.py``: the argparse parser and ``cmd_opts``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from modules import paths_internal


def _make_parser() -> argparse.ArgumentParser:
    """The subset of the real cmd_args parser that extensions read."""
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=str, default=paths_internal.data_path)
    p.add_argument("--models-dir", type=str, default=None)
    p.add_argument("--api", action="store_true")
    p.add_argument("--api-auth", type=str, default=None)
    p.add_argument("--gradio-auth", type=str, default=None)
    p.add_argument("--gradio-auth-path", type=str, default=None)
    p.add_argument("--nowebui", action="store_true")
    p.add_argument("--listen", action="store_true")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--share", action="store_true")
    p.add_argument("--skip-install", action="store_true")
    p.add_argument("--no-half", action="store_true")
    p.add_argument("--no-half-vae", action="store_true")
    p.add_argument("--disable-nan-check", action="store_true")
    p.add_argument("--lowvram", action="store_true")
    p.add_argument("--medvram", action="store_true")
    p.add_argument("--freeze-settings", action="store_true")
    p.add_argument("--hide-ui-dir-config", action="store_true")
    p.add_argument("--disable-extension-access", action="store_true")
    p.add_argument("--no-prompt-history", action="store_true")
    p.add_argument("--embeddings-dir", type=str, default=os.path.join(paths_internal.data_path, "embeddings"))
    p.add_argument("--ckpt-dir", type=str, default=None)
    p.add_argument("--device-id", type=str, default=None)
    return p


parser: argparse.ArgumentParser = _make_parser()
cmd_opts: argparse.Namespace = parser.parse_args([])


def _reparse() -> None:
    """Re-parse with no CLI args, updating ``cmd_opts`` in place so every reference sees new dests."""
    new = parser.parse_args([])
    vars(cmd_opts).clear()
    vars(cmd_opts).update(vars(new))


def load_preload(preload_fn: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    """Test helper: run an extension's ``preload(parser)`` then re-parse, like webui startup."""
    preload_fn(parser)
    _reparse()
    return cmd_opts


def reset() -> None:
    """Test helper: drop arguments added by preloads and re-parse defaults."""
    global parser
    parser = _make_parser()
    _reparse()
