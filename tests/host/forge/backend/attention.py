"""Stand-in for ``backend/attention.py``: the attention function Forge picks (sub-quadratic on the CPU)."""

from __future__ import annotations

import torch

from backend.args import args


def attention_pytorch(*_args: object, **_kwargs: object) -> None:
    """Chosen with --attention-pytorch (and on NVIDIA GPUs)."""


def attention_split(*_args: object, **_kwargs: object) -> None:
    """Chosen with --attention-split."""


def attention_sub_quad(*_args: object, **_kwargs: object) -> None:
    """Forge's fallback, which a CPU run uses."""


attention_function = attention_sub_quad


def select() -> None:
    """Re-read the flags (the real module decides once, at import)."""
    global attention_function
    if args.attention_pytorch:
        attention_function = attention_pytorch
    elif args.attention_split:
        attention_function = attention_split
    else:
        attention_function = attention_sub_quad


def get_attn_precision(attn_precision: torch.dtype = torch.float32) -> torch.dtype | None:
    if args.disable_attention_upcast:
        return None
    if args.force_upcast_attention:
        return torch.float32
    return attn_precision
