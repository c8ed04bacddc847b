"""Reading A1111 infotext (the ``parameters`` PNG text chunk) without the WebUI.

:func:`parse_infotext` follows A1111 v1.10.1 ``modules/infotext_utils.py::parse_generation_parameters``
(same regex, same quoting and ``WxH`` splitting) but adds none of the UI's paste defaults (``Mask mode``,
``RNG`` …): the ledger must store what the image says, not what the UI would assume.
:func:`image_fields` turns that dict into :class:`~paramlab.ledger.records.ImageRecord` fields.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

# Verbatim from A1111 v1.10.1 (``re_param_code`` and ``re_imagesize``).
PARAM_RE = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
IMAGE_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")

NEGATIVE_PREFIX = "Negative prompt:"

# Labels of A1111's schedulers (``modules/sd_schedulers.py``) plus its one alias; before v1.9 the
# scheduler was part of the sampler name ("DPM++ 2M Karras").
SCHEDULER_LABELS = (
    "Automatic", "Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform", "KL Optimal",
    "Align Your Steps", "Simple", "Normal", "DDIM", "Beta",
)
SCHEDULER_ALIASES = {"SGMUniform": "SGM Uniform"}

# Keys whose presence means the hires fix ran (A1111 writes none of them otherwise; "First pass size"
# is the pre-1.0 hires fix).
HIRES_KEYS = ("Hires upscale", "Hires resize-1", "Hires resize-2", "Hires upscaler", "Hires steps",
              "First pass size-1")

_INT32 = 2**31 - 1
_INT64 = 2**63 - 1


class InfotextError(ValueError):
    """The text is not A1111 infotext; the message says why."""


def parse_infotext(text: str) -> dict[str, str]:
    """Split infotext into ``Prompt``, ``Negative prompt`` and the ``k: v`` pairs of its last line.

    Raises :class:`InfotextError` when the text is empty, not a string, or has no ``Steps`` line.
    """
    if not isinstance(text, str):
        raise InfotextError(f"infotext is not text (got {type(text).__name__})")
    if not text.strip():
        raise InfotextError("infotext is empty")

    *lines, last_line = text.strip().split("\n")
    # A1111 takes the last line as parameters when the regex finds 3+ pairs in it. The "Steps:" check
    # first is ours: the regex is quadratic on long runs of words, i.e. on a long last prompt line.
    pairs = PARAM_RE.findall(last_line) if "Steps:" in last_line else []
    if len(pairs) < 3:
        raise InfotextError("no parameters line (the last line must hold 'Steps: …, Sampler: …')")

    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for raw_line in lines:
        line = raw_line.strip()
        if line.startswith(NEGATIVE_PREFIX):
            in_negative = True
            line = line[len(NEGATIVE_PREFIX):].strip()
        (negative_lines if in_negative else prompt_lines).append(line)

    result: dict[str, str] = {"Prompt": "\n".join(prompt_lines), "Negative prompt": "\n".join(negative_lines)}
    for key, value in pairs:
        if value[:1] == '"' and value[-1:] == '"':
            value = _unquote(value)
        size = IMAGE_SIZE_RE.match(value)
        if size is not None:
            result[f"{key}-1"] = size.group(1)
            result[f"{key}-2"] = size.group(2)
        else:
            result[key] = value
    if "Steps" not in result:
        raise InfotextError("the parameters line has no 'Steps' value")
    return result


def _unquote(value: str) -> str:
    """A1111's ``unquote``: JSON-decode a quoted value, keep it as it is when that fails."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value


def split_sampler_name(name: str) -> tuple[str, str | None]:
    """``"DPM++ 2M Karras"`` → ``("DPM++ 2M", "Karras")`` the way A1111 reads pre-1.9 names."""
    options = [(label, label) for label in SCHEDULER_LABELS] + list(SCHEDULER_ALIASES.items())
    # Longest first, so "X SGM Uniform" is not read as "X SGM" + "Uniform".
    for suffix, label in sorted(options, key=lambda item: len(item[0]), reverse=True):
        if name.endswith(" " + suffix) and len(name) > len(suffix) + 1:
            return name[: -(len(suffix) + 1)], label
    return name, None


# -- typed conversion --------------------------------------------------------------------------

def _as_int(limit: int) -> Callable[[str], int]:
    def convert(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            as_float = float(value)
            if not as_float.is_integer():
                raise
            number = int(as_float)
        if not -limit - 1 <= number <= limit:
            raise ValueError(f"{value} is out of range")
        return number

    return convert


def _as_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value} is not a finite number")
    return number


def _as_text(limit: int | None) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if limit is not None and len(value) > limit:
            raise ValueError(f"longer than the column ({limit})")
        return value

    return convert


# Infotext key → ImageRecord field, for text kept as written (when it fits its column).
TEXT_FIELDS: dict[str, str] = {
    "Prompt": "prompt",
    "Negative prompt": "negative_prompt",
    "Schedule type": "scheduler",
    "Model": "model_name",
    "Model hash": "model_hash",
    "Hires upscaler": "hires_upscaler",
}
# Infotext key → (ImageRecord field, converter). Hires/img2img denoising and the sampler split are
# handled in image_fields because they depend on other keys.
NUMBER_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "Seed": ("seed", _as_int(_INT64)),
    "Variation seed": ("subseed", _as_int(_INT64)),
    "Variation seed strength": ("subseed_strength", _as_float),
    "Steps": ("steps", _as_int(_INT32)),
    "CFG scale": ("cfg_scale", _as_float),
    "Size-1": ("width", _as_int(_INT32)),
    "Size-2": ("height", _as_int(_INT32)),
    "Hires upscale": ("hires_scale", _as_float),
    "Hires resize-1": ("hires_resize_x", _as_int(_INT32)),
    "Hires resize-2": ("hires_resize_y", _as_int(_INT32)),
    "Hires steps": ("hires_steps", _as_int(_INT32)),
    "Clip skip": ("clip_skip", _as_int(_INT32)),
}
SPECIAL_KEYS = ("Sampler", "Denoising strength")

# Every infotext key stored in its own column; all other keys go to ``extra_params``.
mapped_keys: frozenset[str] = frozenset(TEXT_FIELDS) | frozenset(NUMBER_FIELDS) | frozenset(SPECIAL_KEYS)


def image_fields(params: dict[str, str], column_lengths: Mapping[str, int]) -> dict[str, Any]:
    """Map :func:`parse_infotext` output to ImageRecord keyword arguments; never raises on bad values.

    A value that does not convert (``Steps: many``), or text longer than its column in
    ``column_lengths`` (the ledger's :data:`~paramlab.ledger.schema.IMAGE_TEXT_LENGTHS`), leaves its
    field None and is kept verbatim in ``extra_params``, so nothing the image said is lost.
    """
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {key: str(value) for key, value in params.items() if key not in mapped_keys}

    def put(key: str, field_name: str, convert: Callable[[str], Any]) -> None:
        raw = params.get(key)
        if raw is None:
            return
        try:
            fields[field_name] = convert(str(raw))
        except ValueError:
            fields[field_name] = None
            extra[key] = str(raw)

    for key, field_name in TEXT_FIELDS.items():
        put(key, field_name, _as_text(column_lengths.get(field_name)))
    for key, (field_name, convert) in NUMBER_FIELDS.items():
        put(key, field_name, convert)

    if "Sampler" in params:
        sampler = str(params["Sampler"])
        if "Schedule type" not in params:
            sampler, legacy_scheduler = split_sampler_name(sampler)
            if legacy_scheduler is not None:
                fields["scheduler"] = legacy_scheduler
        try:
            fields["sampler"] = _as_text(column_lengths.get("sampler"))(sampler)
        except ValueError:
            fields["sampler"] = None
            extra["Sampler"] = str(params["Sampler"])

    hires = any(key in params for key in HIRES_KEYS)
    fields["hires_enabled"] = hires
    put("Denoising strength", "hires_denoising" if hires else "denoising_strength", _as_float)

    # A1111 omits "Clip skip" when it is 1 (``None if clip_skip <= 1``), so absence means 1.
    if "Clip skip" not in params:
        fields["clip_skip"] = 1

    fields["extra_params"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    return fields
