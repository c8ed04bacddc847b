"""Stand-in for ``modules/extra_networks.py``: parses ``<name:args>`` tags; activation only fires the hook."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

re_extra_net = re.compile(r"<(\w+):([^>]+)>")


class ExtraNetworkParams:
    """Arguments of one ``<name:a:b>`` tag."""

    def __init__(self, items: list[str] | None = None) -> None:
        self.items = items or []
        self.positional: list[str] = []
        self.named: dict[str, str] = {}
        for item in self.items:
            parts = item.split("=", 2) if isinstance(item, str) else [item]
            if len(parts) == 2:
                self.named[parts[0]] = parts[1]
            else:
                self.positional.append(item)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExtraNetworkParams) and self.items == other.items


def parse_prompt(prompt: str) -> tuple[str, dict[str, list[ExtraNetworkParams]]]:
    """Strip tags from a prompt and collect their params by network type."""
    res: dict[str, list[ExtraNetworkParams]] = defaultdict(list)

    def found(m: re.Match) -> str:
        res[m.group(1)].append(ExtraNetworkParams(items=m.group(2).split(":")))
        return ""

    return re.sub(re_extra_net, found, prompt), res


def parse_prompts(prompts: list[str]) -> tuple[list[str], dict[str, list[ExtraNetworkParams]]]:
    """Parse every prompt; the network data of the first prompt is returned, as real."""
    res: list[str] = []
    extra_data: Any = None
    for prompt in prompts:
        updated_prompt, parsed_extra_data = parse_prompt(prompt)
        if extra_data is None:
            extra_data = parsed_extra_data
        res.append(updated_prompt)
    return res, extra_data or defaultdict(list)


def activate(p: Any, extra_network_data: Any) -> None:
    """No networks are loaded; fires after_extra_networks_activate exactly like real activate()."""
    if p.scripts is not None:
        p.scripts.after_extra_networks_activate(
            p,
            batch_number=p.iteration,
            prompts=p.prompts,
            seeds=p.seeds,
            subseeds=p.subseeds,
            extra_network_data=extra_network_data,
        )


def deactivate(p: Any, extra_network_data: Any) -> None:
    """Nothing to deactivate."""
