"""Stand-in for ``modules/errors.py``: report errors to stderr without raising, as the real host does."""

from __future__ import annotations

import sys
import textwrap
import traceback

reported: list[str] = []
"""Test helper (not in A1111): every message passed to report()/display(), in order."""

reported_tracebacks: list[str] = []
"""Test helper (not in A1111): formatted tracebacks of reports made with exc_info=True."""


def record_exception() -> None:
    """Real A1111 keeps a short history of exceptions; the stand-in has nothing to record."""


def report(message: str, *, exc_info: bool = False) -> None:
    """Print a message (and the current traceback) to stderr; never raises."""
    reported.append(message)
    for line in message.splitlines():
        print("***", line, file=sys.stderr)
    if exc_info:
        tb = traceback.format_exc()
        reported_tracebacks.append(tb)
        print(textwrap.indent(tb, "    "), file=sys.stderr)
        print("---", file=sys.stderr)


def print_error_explanation(message: str) -> None:
    """Print a boxed explanation, like the real helper."""
    lines = message.strip().split("\n")
    print("=" * 80, file=sys.stderr)
    for line in lines:
        print(line, file=sys.stderr)
    print("=" * 80, file=sys.stderr)


def display(e: BaseException, task: str, *, full_traceback: bool = False) -> None:
    """Print an exception raised while doing ``task``."""
    reported.append(f"{task or 'error'}: {type(e).__name__}: {e}")
    reported_tracebacks.append("".join(traceback.format_exception(type(e), e, e.__traceback__)))
    print(f"{task or 'error'}: {type(e).__name__}", file=sys.stderr)
    print(traceback.format_exc(), file=sys.stderr)


def display_once(e: BaseException, task: str) -> None:
    """Real A1111 shows each task's error once; the stand-in always displays."""
    display(e, task)


def run(code, task: str) -> None:
    """Run ``code()`` and display any exception instead of raising."""
    try:
        code()
    except Exception as e:
        display(e, task)


def reset() -> None:
    """Test helper: forget reported messages."""
    reported.clear()
    reported_tracebacks.clear()
