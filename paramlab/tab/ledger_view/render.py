"""HTML for the ledger view: the results table and the detail panel.

Only these functions write markup, and every value that came from the ledger goes through
``html.escape`` first, so a prompt like ``<img src=x onerror=alert(1)>`` is shown as text. The only
JavaScript here is :data:`SELECT_IMAGE_JS`, a fixed string called with an integer id.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from paramlab.ledger.reads.images import PageResult, parse_flaws
from paramlab.tab.matrix.links import open_matrix_button
from paramlab.tab.status_html import status_html
from paramlab.web.input_files import INPUT_URL
from paramlab.web.signed_links import PROCESS_SIGNER, SignedKind

SELECTED_ELEM_ID = "paramlab_selected_image"
THUMBNAIL_URL = "/paramlab/v1/images/{id}/thumbnail"
FILE_URL = "/paramlab/v1/images/{id}/file"
_URL_TEMPLATES: dict[str, str] = {"thumbnail": THUMBNAIL_URL, "file": FILE_URL}
PROMPT_CELL_CHARS = 160
PROMPT_TITLE_CHARS = 1000

# Clicking a row writes its id into the "Image id" box and fires the input event gradio listens to
# (gradio 3 and 4 alike). Called as SELECT_IMAGE_JS + "(<int>)"; it may be moved to javascript/ as long
# as the row markup calls the same thing.
SELECT_IMAGE_JS = (
    "(function(id){"
    "var root=(typeof gradioApp==='function')?gradioApp():document;"
    f"var sel='#{SELECTED_ELEM_ID} textarea, #{SELECTED_ELEM_ID} input';"
    "var box=root.querySelector(sel)||document.querySelector(sel);"
    "if(!box){return;}"
    "box.value=String(id);"
    "box.dispatchEvent(new Event('input',{bubbles:true}));"
    "})"
)

TABLE_HEADERS = ("", "time", "model", "sampler", "schedule type", "steps", "CFG", "size", "seed", "rating",
                 "flaws", "s/image", "prompt")


def esc(value: Any) -> str:
    """Any value as escaped text; None as empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def local_time(value: datetime | None) -> str:
    """Local wall-clock time; SQLite hands back naive datetimes, which the ledger wrote in UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def number(value: Any, digits: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if digits is not None else f"{value:g}"
    return str(value)


def one_line(value: Any, limit: int) -> str:
    if not value:
        return ""
    flat = " ".join(str(value).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def flaw_codes(text: Any) -> str:
    return ", ".join(flaw["code"] for flaw in parse_flaws(text))


def image_url(kind: SignedKind, image_id: int) -> str:
    """The route for one image, signed: the browser may hold no credentials the route accepts (e.g. under
    ``--api-auth`` alone), so the link itself carries a short-lived permission. Escaped for an attribute."""
    path = _URL_TEMPLATES[kind].format(id=int(image_id))
    return esc(PROCESS_SIGNER.sign(path, kind, int(image_id)))


def _thumbnail_cell(row: Mapping[str, Any]) -> str:
    if not (row.get("has_thumbnail") or row.get("thumbnail_path") or row.get("image_path")):
        return "<td></td>"
    src = image_url("thumbnail", int(row["id"]))
    return f'<td><img loading="lazy" alt="" src="{src}" onerror="this.style.visibility=\'hidden\'"></td>'


def table_row(row: Mapping[str, Any]) -> str:
    image_id = int(row["id"])
    size = f"{row['width']}×{row['height']}" if row.get("width") and row.get("height") else ""
    rating = "★" * int(row["rating"]) if row.get("rating") else ""
    cells = [
        _thumbnail_cell(row),
        f'<td class="paramlab-time">{esc(local_time(row.get("created_at")))}</td>',
        f"<td>{esc(row.get('model_name'))}</td>",
        f"<td>{esc(row.get('sampler'))}</td>",
        f"<td>{esc(row.get('scheduler'))}</td>",
        f'<td class="paramlab-num">{esc(number(row.get("steps")))}</td>',
        f'<td class="paramlab-num">{esc(number(row.get("cfg_scale")))}</td>',
        f'<td class="paramlab-num">{esc(size)}</td>',
        f'<td class="paramlab-num">{esc(row.get("seed"))}</td>',
        f'<td class="paramlab-num">{esc(rating)}</td>',
        f"<td>{esc(flaw_codes(row.get('flaws')))}</td>",
        f'<td class="paramlab-num">{esc(number(row.get("cost_seconds"), 2))}</td>',
        f'<td title="{esc(one_line(row.get("prompt"), PROMPT_TITLE_CHARS))}">'
        f"{esc(one_line(row.get('prompt'), PROMPT_CELL_CHARS))}</td>",
    ]
    onclick = esc(f"{SELECT_IMAGE_JS}({image_id})")
    return f'<tr data-image-id="{image_id}" onclick="{onclick}">{"".join(cells)}</tr>'


def table_html(result: PageResult) -> str:
    if not result.rows:
        return '<div class="paramlab-empty">No images match these filters.</div>'
    head = "".join(f"<th>{esc(header)}</th>" for header in TABLE_HEADERS)
    body = "\n".join(table_row(row) for row in result.rows)
    return f'<table class="paramlab-table"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def pager_html(result: PageResult) -> str:
    plural = "" if result.total == 1 else "s"
    return esc(f"Page {result.page} of {result.pages} — {result.total:,} image{plural}")


# -- the detail panel -----------------------------------------------------------------------------


def _pairs(rows: list[tuple[str, Any]]) -> str:
    shown = [(label, value) for label, value in rows if value not in (None, "")]
    if not shown:
        return "<div>—</div>"
    return "<table>" + "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in shown) + "</table>"


def _hires(detail: Mapping[str, Any]) -> str:
    if not detail.get("hires_enabled"):
        return "off"
    target = (f"{detail['hires_scale']:g}×" if detail.get("hires_scale")
              else f"to {detail.get('hires_resize_x')}×{detail.get('hires_resize_y')}")
    parts = [target, detail.get("hires_upscaler") or ""]
    if detail.get("hires_steps"):
        parts.append(f"{detail['hires_steps']} steps")
    if detail.get("hires_denoising") is not None:
        parts.append(f"denoising {detail['hires_denoising']:g}")
    return " ".join(part for part in parts if part)


def _vram(value: Any) -> str | None:
    return None if value is None else f"{value / 2**30:.2f} GiB"


def _settings(detail: Mapping[str, Any]) -> list[tuple[str, Any]]:
    variation = None
    if detail.get("subseed_strength"):
        variation = f"seed {detail.get('subseed')} at strength {detail['subseed_strength']:g}"
    return [
        ("Model", detail.get("model_name")), ("Model hash", detail.get("model_hash")),
        ("VAE", detail.get("vae_name")), ("Sampler", detail.get("sampler")),
        ("Schedule type", detail.get("scheduler")), ("Steps", detail.get("steps")),
        ("CFG scale", number(detail.get("cfg_scale"))),
        ("Size", f"{detail.get('width')}×{detail.get('height')}" if detail.get("width") else None),
        ("Seed", detail.get("seed")), ("Variation", variation), ("Hires fix", _hires(detail)),
        ("Denoising strength", number(detail.get("denoising_strength"))), ("Clip skip", detail.get("clip_skip")),
        ("Profile", detail.get("profile")), ("Series", detail.get("series")),
        ("Rating", "★" * int(detail["rating"]) if detail.get("rating") else "not rated"),
    ]


def _cost_rows(cost: Mapping[str, Any]) -> list[tuple[str, Any]]:
    share = cost.get("cost_share")
    method = f" ({cost['peak_vram_method']})" if cost.get("peak_vram_method") and cost.get("peak_vram_bytes") else ""
    vram = _vram(cost.get("peak_vram_bytes"))
    return [
        ("This image (s)", number(cost.get("cost_seconds"), 2)),
        ("Share of the run", f"{share:.0%}" if share is not None else None),
        ("Run wall time (s)", number(cost.get("run_wall_seconds"), 2)),
        ("First pass (s)", number(cost.get("first_pass_seconds"), 2)),
        ("Hires pass (s)", number(cost.get("hires_seconds"), 2)),
        ("VAE decode (s)", number(cost.get("vae_decode_seconds"), 2)),
        ("Peak VRAM", vram + method if vram else None),
        ("Images in the run", cost.get("run_image_count")),
        ("Model evaluations", cost.get("model_evaluations")),
        ("Megapixel-steps", number(cost.get("megapixel_steps"), 2)),
        ("Energy, this image (J)", number(cost.get("energy_joules"), 1)),
        ("Energy, run (J)", number(cost.get("run_energy_joules"), 1)),
    ]


def _metric_rows(metrics: Mapping[str, tuple[Any, Any]]) -> list[tuple[str, Any]]:
    from paramlab.quality.measures import MEASURES  # torch: only once someone opens a detail

    rows = []
    for name, (value, reason) in metrics.items():
        label = MEASURES[name].label if name in MEASURES else name
        rows.append((label, f"{value:.4g}" if isinstance(value, float) else (reason or "not measured")))
    return rows


def _fingerprint_rows(fingerprint: Mapping[str, Any]) -> list[tuple[str, Any]]:
    from paramlab.seeds.fingerprint import FINGERPRINT_FIELDS

    keys = [*[k for k in FINGERPRINT_FIELDS if k in fingerprint], *sorted(set(fingerprint) - set(FINGERPRINT_FIELDS))]
    return [(FINGERPRINT_FIELDS.get(key, key), fingerprint[key]) for key in keys]


REPLAY_LABELS = {"exact": "exact", "approximate": "approximate", "not_replayable": "not replayable"}


def input_url(sha256: str, *, thumbnail: bool = False) -> str:
    """A stored input image's route, signed for that SHA-256 alone (see :func:`image_url`); escaped."""
    signed = PROCESS_SIGNER.sign(INPUT_URL.format(sha256=sha256), "input", sha256)
    return esc(signed + ("&thumbnail=1" if thumbnail else ""))


def _input_row(item: Any) -> str:
    size = f"{item.width}×{item.height}" if item.width and item.height else ""
    if item.stored and item.sha256:
        kept = f"stored ({item.size_bytes / 1024:,.0f} KB)" if item.size_bytes else "stored"
        preview = (f'<a href="{input_url(item.sha256)}" target="_blank" rel="noopener">'
                   f'<img alt="" class="paramlab-input-thumb" style="max-width:64px;max-height:64px" '
                   f'src="{input_url(item.sha256, thumbnail=True)}"></a>')
    else:
        kept, preview = f"not stored: {item.not_stored or 'its bytes are gone'}", ""
    return (f"<tr><td>{preview}</td><td>{esc(item.role)}</td><td>{esc(item.source)}</td><td>{esc(size)}</td>"
            f"<td>{esc(kept)}</td></tr>")


def replay_html(replay: Mapping[str, Any] | None) -> str:
    """The run's replay verdict with its reason, its input images (a preview of each kept one, or why it was not
    kept) and the other extensions' settings ("ControlNet: unit 0 model = …")."""
    if not replay:
        return "<div>—</div>"
    verdict = REPLAY_LABELS.get(replay.get("replay_verdict") or "", "not judged")
    reason = f" — {replay['replay_reason']}" if replay.get("replay_reason") else ""
    inputs = replay.get("inputs") or []
    table = ("<table><tr><th></th><th>role</th><th>source</th><th>size</th><th>kept</th></tr>"
             + "".join(_input_row(item) for item in inputs) + "</table>") if inputs else "<div>no input images</div>"
    settings = _pairs([(f"{script}: {name}", value) for script, name, value in replay.get("extension_values") or []])
    return (f"<div>Replay: <b>{esc(verdict)}</b>{esc(reason)}</div><h4>Input images</h4>{table}"
            f"<h4>Other extensions</h4>{settings}")


def detail_html(detail: Mapping[str, Any] | None) -> str:
    if detail is None:
        return status_html("Click a row (or type an image id) to see its details.", "note")
    image_id = int(detail["id"])
    head = (f"<h3>Image {image_id}</h3><div>{esc(local_time(detail.get('created_at')))} · "
            f"{esc(detail.get('tab'))} · {esc(detail.get('source'))} · status {esc(detail.get('status'))}</div>")
    preview = ""
    if detail.get("has_thumbnail") or detail.get("thumbnail_path") or detail.get("image_path"):
        preview = f'<div><img alt="" src="{image_url("thumbnail", image_id)}"></div>'
    if detail.get("image_path") and detail.get("file_note"):
        preview += f"<div class='paramlab-muted'>{esc(detail['file_note'])}</div>"
    elif detail.get("image_path"):
        link = image_url("file", image_id)
        preview += f'<div><a href="{link}" target="_blank" rel="noopener">Open the image</a></div>'
    flaws = "".join(f"<li><b>{esc(f['code'])}</b>: {esc(f['advice'])}</li>" for f in detail.get("flaws") or [])
    if detail.get("xyz_job") is not None:

        preview += f"<div>{open_matrix_button(int(detail['xyz_job']), 'Open its X/Y/Z matrix')}</div>"
    sections = [
        head, preview,
        f"<h4>Prompt</h4><pre>{esc(detail.get('prompt'))}</pre>",
        f"<h4>Negative prompt</h4><pre>{esc(detail.get('negative_prompt'))}</pre>",
        f"<h4>Settings</h4>{_pairs(_settings(detail))}",
        f"<h4>Flaws</h4>{f'<ul>{flaws}</ul>' if flaws else '<div>none found</div>'}",
        f"<h4>Quality figures</h4>{_pairs(_metric_rows(detail.get('metrics') or {}))}",
        f"<h4>Cost</h4>{_pairs(_cost_rows(detail.get('cost') or {}))}",
        f"<h4>Fingerprint</h4>{_pairs(_fingerprint_rows(detail.get('fingerprint') or {}))}",
        f"<h4>Replay</h4>{replay_html(detail.get('replay'))}",
        f"<h4>Files</h4>{_pairs([('Image', detail.get('image_path')), ('Thumbnail', detail.get('thumbnail_path'))])}",
        f"<h4>Infotext</h4><pre>{esc(detail.get('infotext'))}</pre>",
    ]
    return "\n".join(sections)
