"""What an X/Y/Z plot axis set for one cell, so ParamLab never replaces it.

A grid labelled "CFG 3, 7, 12" must run CFG 3, 7 and 12: a profile applied at generation, a locked
seed or a series may only set what no axis of that cell set. X/Y/Z applies each axis to a copy of
``p`` (``x_opt.apply(pc, x, xs)``) just before ``process_images``, so ParamLab wraps every axis
option's ``apply`` and notes which ``p`` attributes and ``override_settings`` keys it wrote. It notes
writes, not changes: an axis value equal to the field's value (CFG 7 when the field says 7) still
counts as set by the axis.

Writes are seen by giving ``p`` a recording subclass of its own class while the axis applies (so
``isinstance`` checks in other extensions' axes still hold) and a recording dict as its
``override_settings``; both are put back at once, with the dict's new contents written into the
original dict object, which X/Y/Z cells share.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

AXIS_SET_ATTRIBUTE = "paramlab_axis_set"  # on p: frozenset of attribute names and "override:<option>"
OVERRIDE_PREFIX = "override:"
_WRAPPED_MARK = "_paramlab_records_axis_values"
_recording = threading.local()
_recording_classes: dict[type, type] = {}


def set_by_axis(p: Any) -> frozenset[str]:
    """The ``p`` attributes (and ``override:<option>`` keys) an X/Y/Z axis set for this cell."""
    return frozenset(getattr(p, AXIS_SET_ATTRIBUTE, None) or ())


def override_key(option: str) -> str:
    return f"{OVERRIDE_PREFIX}{option}"


def record_axis_writes(axis_options: Iterable[Any]) -> int:
    """Wrap each axis option's ``apply`` once (idempotent); returns how many were wrapped now."""
    wrapped = 0
    for option in axis_options:
        apply = getattr(option, "apply", None)
        if apply is None or getattr(apply, _WRAPPED_MARK, False):
            continue
        option.apply = _recording_apply(apply)
        wrapped += 1
    return wrapped


def _recording_apply(apply: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(apply)
    def recording_apply(p: Any, *args: Any, **kwargs: Any) -> Any:
        written: set[str] = set()
        try:
            return _apply_recording(p, apply, written, args, kwargs)
        finally:
            if written:
                setattr(p, AXIS_SET_ATTRIBUTE, set_by_axis(p) | written)

    setattr(recording_apply, _WRAPPED_MARK, True)
    return recording_apply


class _RecordingDict(dict):
    """``override_settings`` while an axis applies: notes every key written."""

    def __init__(self, original: dict, written: set[str]):
        super().__init__(original)
        self.written = written

    def __setitem__(self, key: Any, value: Any) -> None:
        self.written.add(override_key(str(key)))
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key in dict(*args, **kwargs):
            self.written.add(override_key(str(key)))
        super().update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self.written.add(override_key(str(key)))
        return super().setdefault(key, default)


def _recording_class(cls: type) -> type:
    """A subclass of ``cls`` whose ``__setattr__`` notes the attribute name for the cell being applied."""
    found = _recording_classes.get(cls)
    if found is None:
        def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807 - the hook itself
            if getattr(_recording, "target", None) is self:
                _recording.written.add(name)
            cls.__setattr__(self, name, value)

        found = type(cls.__name__, (cls,), {"__setattr__": __setattr__, "__module__": cls.__module__})
        _recording_classes[cls] = found
    return found


def _apply_recording(p: Any, apply: Callable[..., Any], written: set[str], args: tuple, kwargs: dict) -> Any:
    original_class = type(p)
    original_overrides = getattr(p, "override_settings", None)
    recording_overrides = _RecordingDict(original_overrides, written) if isinstance(original_overrides, dict) else None
    outer = getattr(_recording, "target", None), getattr(_recording, "written", None)
    try:
        if recording_overrides is not None:
            p.override_settings = recording_overrides
        p.__class__ = _recording_class(original_class)
        _recording.target, _recording.written = p, written
    except TypeError:  # a p whose class cannot be swapped (slots, C types): only override keys are noted
        pass
    try:
        return apply(p, *args, **kwargs)
    finally:
        _recording.target, _recording.written = outer
        if type(p) is not original_class:
            p.__class__ = original_class
        current = getattr(p, "override_settings", None)
        if recording_overrides is not None and current is recording_overrides:
            # Keep the dict object X/Y/Z's cells share, with what the axis wrote into it.
            original_overrides.clear()
            original_overrides.update(recording_overrides)
            p.override_settings = original_overrides
        elif "override_settings" in written and isinstance(current, dict):  # the axis replaced the dict
            written.update(override_key(str(key)) for key in current)
        written.discard("override_settings")
