"""Stand-in for ``modules/sd_models.py``: one fake checkpoint, no loading."""

from __future__ import annotations

import hashlib
from typing import Any

from modules import shared
from modules.shared import CheckpointInfo

checkpoints_list: dict[str, CheckpointInfo] = {}
checkpoint_aliases: dict[str, CheckpointInfo] = {}
model_data: Any = None


def _register(info: CheckpointInfo) -> None:
    checkpoints_list[info.title] = info
    for alias in (
        info.title,
        info.name,
        info.name_for_extra,
        info.model_name,
        info.shorthash,
        info.sha256,
        info.hash,
    ):
        checkpoint_aliases[alias] = info


def reset() -> None:
    """Test helper: the fake model is the only checkpoint."""
    checkpoints_list.clear()
    checkpoint_aliases.clear()
    _register(shared.sd_model.sd_checkpoint_info)


def model_hash(filename: str) -> str:
    """Old 8-hex hash (real reads 64 KiB at 1 MiB offset; the stand-in hashes the path if unreadable)."""
    m = hashlib.sha256()
    try:
        with open(filename, "rb") as file:
            file.seek(0x100000)
            m.update(file.read(0x10000))
    except OSError:
        m.update(filename.encode("utf8"))
    return m.hexdigest()[0:8]


def get_closet_checkpoint_match(search_string: str) -> CheckpointInfo | None:
    """Checkpoint by alias or title prefix (real misspelling kept)."""
    if not search_string:
        return None
    info = checkpoint_aliases.get(search_string)
    if info is not None:
        return info
    found = sorted(
        [x for x in checkpoints_list.values() if search_string in x.title], key=lambda x: len(x.title)
    )
    return found[0] if found else None


def select_checkpoint() -> CheckpointInfo:
    """The only checkpoint."""
    return shared.sd_model.sd_checkpoint_info


def reload_model_weights(sd_model: Any = None, info: Any = None, forced_reload: bool = False) -> Any:
    """Nothing to reload in the stand-in."""
    return shared.sd_model


def apply_token_merging(sd_model: Any, token_merging_ratio: float) -> None:
    """Token merging is not simulated."""


reset()
