"""The A/B script's controls as its one arg (the same dict the API takes), and the variants text parsed.

A variants line is a profile name, or ``name = {"Steps": 30}`` (JSON), or ``name = Steps: 30, CFG scale: 5``
(infotext style). A line that cannot be read is kept as text, so validation names it.
"""

from __future__ import annotations

import json
from typing import Any


def parse_variant_line(line: str) -> Any:
    """A profile name, or a ``{"name", "settings"}`` dict."""
    if "=" not in line:
        return line.strip()
    name, _, rest = line.partition("=")
    rest = rest.strip()
    if rest.startswith("{"):
        try:
            settings = json.loads(rest)
        except ValueError:
            return {"name": name.strip(), "settings": rest}
        return {"name": name.strip(), "settings": settings}
    settings: dict[str, Any] = {}
    for part in rest.split(","):
        key, colon, value = part.partition(":")
        if not colon:
            return {"name": name.strip(), "settings": rest}
        settings[key.strip()] = value.strip()
    return {"name": name.strip(), "settings": settings}


def compose_value(name: str | None, variants: str | None, prompts: str | None, seed_count: Any, first_seed: Any,
                  confirm: bool) -> dict[str, Any]:
    """The script's one arg from its controls."""
    lines = [line for line in (variants or "").splitlines() if line.strip()]
    value: dict[str, Any] = {
        "name": name or "", "variants": [parse_variant_line(line) for line in lines],
        "prompts": [line for line in (prompts or "").splitlines() if line.strip()],
        "seed_count": int(seed_count) if seed_count not in (None, "") else 0,
        "first_seed": int(first_seed) if first_seed not in (None, "") else 1,
        "confirm": bool(confirm),
    }
    return value
