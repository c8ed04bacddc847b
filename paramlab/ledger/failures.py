"""Failed generations: how a failed run's error is kept, and the short cause a profile's figures name.

A run fails when ``process_images`` raises. Its row keeps the exception's class (``error_type``) and its
message (``error``) as A1111 shows it ("NansException: A tensor with NaNs was produced in Unet. …"), so the
cause can be read back without parsing free text: "NaN in Unet", "out of memory", or the class itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

FAILED = "failed"
MAX_ERROR_CHARS = 4000  # A1111's NaN message is ~400; a traceback-sized message is cut, never the row
NAN_TYPE = "NansException"  # modules/devices.py: test_for_nans


def error_text(error_type: str | None, error: str | None) -> str:
    """``Type: message``, the way A1111's UI shows a failed request (either part may be missing)."""
    if error_type and error:
        return f"{error_type}: {error}"
    return error or error_type or ""


def failure_cause(error_type: str | None, error: str | None) -> str:
    """A short name for what went wrong: "NaN in Unet", "NaN in VAE", "out of memory", else the class."""
    error_type = error_type if isinstance(error_type, str) and error_type else None  # NULL, or NaN in a frame
    message = (error if isinstance(error, str) else "").lower()
    if error_type == NAN_TYPE or "tensor with nans" in message or "tensor with all nans" in message:
        for where in ("Unet", "VAE"):
            if f"produced in {where.lower()}" in message:
                return f"NaN in {where}"
        return "NaN"
    if (error_type or "").endswith("OutOfMemoryError") or "out of memory" in message:
        return "out of memory"
    return error_type or "error"


def causes_summary(causes: Iterable[str]) -> str:
    """"NaN in Unet" or, for several causes, "NaN in Unet (2), out of memory (1)", the commonest first."""
    counted = Counter(causes).most_common()
    if len(counted) == 1:
        return counted[0][0]
    return ", ".join(f"{cause} ({count})" for cause, count in counted)
