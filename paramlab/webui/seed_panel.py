"""Seed lock, batch policy and character series controls in the ParamLab accordion.

The lock button that A1111 users see beside the Seed field (``javascript/paramlab.js``) toggles the
"Lock seed" checkbox here, so the state lives in one place: the script's one arg. A chosen series is
part of that one state: it ticks "Lock seed" with its own seed, so the badge, the 🔒 button and the run
always agree.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab.gradio_compat import update
from paramlab.ledger import LedgerError
from paramlab.seeds import SEED_MAX
from paramlab.tab.status_html import status_html
from paramlab.webui import runtime

POLICY_LABELS = {
    "same": "Same seed for every image",
    "increment": "+1 per image (A1111's default)",
    "stride": "Stride N",
    "list": "Explicit list",
    "variation": "Variation sweep",
}


@dataclass
class SeedPanel:
    locked: Any
    seed: Any
    policy: Any
    stride: Any
    seed_list: Any
    variation_row: Any
    variation_seed: Any
    strength_from: Any
    strength_to: Any
    series: Any
    clear_series: Any
    badge: Any
    status: Any
    lock_field_button: Any
    lock_last_button: Any

    def arg_controls(self) -> list[Any]:
        """The controls whose values make up the ``seed_lock`` part of the script's arg, in order."""
        return [self.locked, self.seed, self.policy, self.stride, self.seed_list, self.variation_seed,
                self.strength_from, self.strength_to, self.series]


# The newest UI build's panel of each tab, for the ledger's "Lock this seed in txt2img / img2img".
LATEST_PANELS: dict[str, SeedPanel] = {}


def series_names() -> list[str]:
    try:
        return runtime.series_store().names()
    except Exception:  # noqa: BLE001 - an unavailable ledger only empties the list; the writer reports it
        return []


def current_series_choices() -> Any:
    """The dropdown's choices as the ledger has them now (see :mod:`paramlab.webui.panel_lists`)."""
    return update(choices=series_names())


def build_seed_panel(tabname: str, elem_id: Any) -> SeedPanel:
    """Lay out the panel and wire its own events. One state: choosing a series ticks "Lock seed" with the
    series' seed (read-only while the series is chosen); unlocking or clearing the series ends both."""
    badge = gr.HTML(value=lock_badge(False, None, "increment", None), elem_id=elem_id("seed_badge"))
    with gr.Row():
        locked = gr.Checkbox(False, label="Lock seed", elem_id=elem_id("seed_locked"))
        seed = gr.Number(value=-1, precision=0, label="Locked seed", elem_id=elem_id("seed_value"))
        lock_field_button = gr.Button("Lock the Seed field's seed", elem_id=elem_id("seed_lock_field"))
        lock_last_button = gr.Button("Lock the last-used seed", elem_id=elem_id("seed_lock_last"))
    with gr.Row():
        policy = gr.Dropdown(choices=list(POLICY_LABELS.values()), value=POLICY_LABELS["increment"],
                             label="Batch seed policy", elem_id=elem_id("seed_policy"), scale=2, min_width=300)
        stride = gr.Number(value=2, precision=0, label="Stride N", visible=False, elem_id=elem_id("seed_stride"))
        seed_list = gr.Textbox(label="Seed list (comma-separated)", max_lines=1, visible=False,
                               elem_id=elem_id("seed_list"))
    with gr.Row(visible=False, elem_id=elem_id("seed_variation_row")) as variation_row:
        variation_seed = gr.Number(value=-1, precision=0, label="Variation seed (-1: seed + 1)",
                                   elem_id=elem_id("seed_variation_seed"))
        strength_from = gr.Slider(0.0, 1.0, value=0.0, step=0.01, label="Variation strength from",
                                  elem_id=elem_id("seed_strength_from"))
        strength_to = gr.Slider(0.0, 1.0, value=1.0, step=0.01, label="to", elem_id=elem_id("seed_strength_to"))
    with gr.Row():
        series = gr.Dropdown(choices=series_names(), value=None, label="Character series", scale=3,
                             elem_id=elem_id("series"))
        clear_series = gr.Button("Clear series", elem_id=elem_id("series_clear"), scale=0, min_width=120)
    with gr.Row():
        series_name = gr.Textbox(label="New series name", max_lines=1, elem_id=elem_id("series_name"))
        create_series = gr.Button("Create series from the locked seed", elem_id=elem_id("series_create"))
    status = gr.HTML(elem_id=elem_id("seed_status"))
    panel = SeedPanel(locked, seed, policy, stride, seed_list, variation_row, variation_seed, strength_from,
                      strength_to, series, clear_series, badge, status, lock_field_button, lock_last_button)
    LATEST_PANELS[tabname] = panel

    # The series' own handler writes the badge from the series' seed: a badge event fired with the series
    # would read the seed field before the series has set it (A1111 runs events in parallel).
    for control in (locked, seed, policy):
        control.change(fn=lock_badge_from_controls, inputs=[locked, seed, policy, series], outputs=[badge],
                       show_progress=False)
    policy.change(fn=policy_fields, inputs=[policy], outputs=[stride, seed_list, variation_row], show_progress=False)
    series.change(fn=series_chosen, inputs=[series, locked, seed, policy], outputs=[locked, seed, status, badge],
                  show_progress=False)
    series.focus(fn=current_series_choices, inputs=[], outputs=[series], show_progress=False)
    clear_series.click(fn=clear_series_choice, inputs=[series], outputs=[series, locked, seed, status],
                       show_progress=False)
    locked.input(fn=lock_toggled, inputs=[locked, series], outputs=[series, seed], show_progress=False)
    lock_last_button.click(fn=lambda: lock_last_used(tabname), inputs=[], outputs=[locked, seed, status, series],
                           show_progress=False)
    create_series.click(fn=create_series_from_lock, inputs=[series_name, seed, variation_seed, strength_from],
                        outputs=[series, status], show_progress=False)
    return panel


def wire_seed_field(panel: SeedPanel, fields_by_api: dict[str, Any]) -> None:
    """Once the tab's paste fields exist: "Lock the Seed field's seed" reads A1111's Seed field."""
    seed_field = fields_by_api.get("seed")
    if seed_field is not None:
        panel.lock_field_button.click(fn=lock_field_seed, inputs=[seed_field],
                                      outputs=[panel.locked, panel.seed, panel.status, panel.series],
                                      show_progress=False)


def wire_series_profile(panel: SeedPanel, profile_dropdown: Any) -> None:
    """Choosing a series selects its profile in the Profiles tab, where the usual rule decides whether it
    applies (Apply to fields, or Apply at generation); it is never applied behind the fields' back."""
    panel.series.change(fn=series_profile, inputs=[panel.series, profile_dropdown], outputs=[profile_dropdown],
                        show_progress=False)


def policy_fields(policy_label: str) -> list[Any]:
    """Show only the fields the chosen policy uses: stride, seed list, or the variation sweep."""
    policy = policy_key(policy_label)
    return [update(visible=policy == "stride"), update(visible=policy == "list"),
            update(visible=policy == "variation")]


def policy_key(policy_label: Any) -> str:
    return next((key for key, label in POLICY_LABELS.items() if label == policy_label), "increment")


def _series(name: Any) -> Any:
    """The stored series called ``name``, or None (no name, or no such series any more)."""
    from paramlab.seeds import SeriesError

    if not name:
        return None
    try:
        return runtime.series_store().get(name)
    except (SeriesError, LedgerError):
        return None


def series_chosen(name: str | None, locked: bool = False, seed: Any = -1,
                  policy_label: str = POLICY_LABELS["increment"]) -> list[Any]:
    """[Lock seed, Locked seed, status, badge]: a chosen series locks its own seed, shown read-only."""
    policy = policy_key(policy_label)
    if not name:
        return [update(), update(interactive=True), update(), lock_badge(bool(locked), _as_int(seed), policy, None)]
    series = _series(name)
    if series is None:
        return [update(), update(interactive=True),
                status_html(f"There is no series named {name!r} (any more); choose another or clear it.", "error"),
                lock_badge(bool(locked), _as_int(seed), policy, None)]
    note = f"Series {series.name!r} locks seed {series.seed}"
    if series.has_variation:
        note += f" with variation seed {series.variation_seed} at {series.variation_strength:g}"
    if series.prompt_fragment:
        note += f" and adds “{series.prompt_fragment}” to the prompt when it is missing"
    note += "."
    if series.profile:
        note += (f" Its profile {series.profile!r} is selected in the Profiles tab: it applies only through "
                 "Apply to fields or Apply at generation.")
    return [update(value=True), update(value=series.seed, interactive=False), status_html(note),
            lock_badge(True, series.seed, policy, series.name)]


def series_profile(name: str | None, current_profile: str | None) -> Any:
    """The profile dropdown after a series is chosen: the series' profile when it has one that exists."""
    series = _series(name)
    if series is None or not series.profile:
        return update()
    try:
        profile = runtime.profile_store().get(series.profile)
    except Exception:  # noqa: BLE001 - a missing profile (or ledger) leaves the dropdown as it is
        return update()
    return update() if profile.name == current_profile else update(value=profile.name)


def clear_series_choice(name: str | None) -> list[Any]:
    """[series, Lock seed, Locked seed, status]: no series, and the lock that came with it ends too."""
    text = f"Cleared series {name!r}: the seed is no longer locked." if name else "No series was chosen."
    return [update(value=None), update(value=False), update(interactive=True), status_html(text)]


def lock_toggled(locked: bool, series: str | None) -> list[Any]:
    """Unlocking (the checkbox or the 🔓 button) while a series is chosen ends the series too."""
    if not locked and series:
        return [update(value=None), update(interactive=True)]
    return [update(), update()]


def seed_lock_value(locked: bool, seed: Any, policy_label: str, stride: Any, seed_list: str, variation_seed: Any,
                    strength_from: float, strength_to: float, series: str | None) -> dict[str, Any] | None:
    """The ``seed_lock`` dict from the controls; validation (with clear messages) happens at run time."""
    policy = policy_key(policy_label)
    if not locked and not series and policy == "increment":
        return None
    value: dict[str, Any] = {"policy": policy}
    if series:
        value["series"] = series
    elif locked:
        value["seed"] = _as_int(seed)
    if policy == "stride":
        value["stride"] = _as_int(stride)
    if policy == "list":
        value["seeds"] = [_as_int(part) for part in str(seed_list or "").split(",") if part.strip()]
    if policy == "variation":
        variation = _as_int(variation_seed)
        if variation is not None and variation >= 0:
            value["variation_seed"] = variation
        value["variation_strengths"] = [float(strength_from), float(strength_to)]
    return value


def _as_int(value: Any) -> Any:
    """Whole numbers become ints; anything else is passed on so the run-time check can name it."""
    if isinstance(value, str):
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else value


def lock_field_seed(field_seed: Any) -> list[Any]:
    """[Lock seed, Locked seed, status, series]: a plain seed lock replaces any chosen series."""
    seed = _as_int(field_seed)
    if not isinstance(seed, int) or seed < 0:
        seed = random.randint(0, SEED_MAX)  # noqa: S311 - a seed, not a secret
        note = f"The Seed field says -1; locked a fresh random seed {seed}."
    else:
        note = f"Locked seed {seed}."
    return [update(value=True), update(value=seed, interactive=True), status_html(note), update(value=None)]


def lock_last_used(tabname: str) -> list[Any]:
    try:
        rows = [row for row in runtime.get_ledger().recent_images(limit=50) if row.get("tab") == tabname]
    except LedgerError as exc:
        return [update(), update(), status_html(str(exc), "error"), update()]
    if not rows or rows[0].get("seed") is None:
        return [update(), update(), status_html(f"No {tabname} generation in the ledger yet.", "error"), update()]
    seed = int(rows[0]["seed"])
    return [update(value=True), update(value=seed, interactive=True), status_html(f"Locked the last-used seed {seed}."),
            update(value=None)]


def create_series_from_lock(name: str, seed: Any, variation_seed: Any, strength: float) -> list[Any]:
    from paramlab.seeds import Series, SeriesError

    seed_value = _as_int(seed)
    if not isinstance(seed_value, int) or seed_value < 0:
        return [update(), status_html("Lock a seed first: a series needs a concrete seed.", "error")]
    variation = _as_int(variation_seed)
    try:
        series = Series(name=name or "", seed=seed_value,
                        variation_seed=variation if isinstance(variation, int) and variation >= 0 else None,
                        variation_strength=float(strength) if strength else None)
        created = runtime.series_store().create(series)
    except (SeriesError, LedgerError, ValueError) as exc:
        return [update(), status_html(str(exc), "error")]
    return [update(choices=series_names(), value=created.name), status_html(f"Created series {created.name!r}.")]


def lock_badge(locked: bool, seed: Any, policy: str, series: str | None) -> str:
    if series:
        text = f"🔒 Series {series}" + (f" · seed {seed}" if isinstance(seed, int) and seed >= 0 else "")
    elif locked:
        text = f"🔒 Seed {seed} locked"
    else:
        return "<span class='paramlab-seed-badge paramlab-unlocked'>🔓 Seed not locked</span>"
    if policy != "increment":
        text += f" · {next((label for key, label in POLICY_LABELS.items() if key == policy), policy)}"
    return f"<span class='paramlab-seed-badge paramlab-locked'>{html.escape(text)}</span>"


def lock_badge_from_controls(locked: bool, seed: Any, policy_label: str, series: str | None) -> str:
    return lock_badge(bool(locked), _as_int(seed), policy_key(policy_label), series)


def paste_series(params: dict[str, Any]) -> Any:
    """Pasting an image's infotext selects its series again, or clears a chosen one (a plain seed lock
    stays: the badge and the 🔒 button keep saying so)."""
    from paramlab.webui.seed_lock import SERIES_INFOTEXT_KEY

    name = params.get(SERIES_INFOTEXT_KEY)
    return update(value=name, choices=series_names()) if name else update(value=None)


def paste_policy(params: dict[str, Any]) -> Any:
    """Pasting an image's infotext restores its batch seed policy (none written: A1111's +1 per image)."""
    from paramlab.webui.seed_lock import POLICY_INFOTEXT_KEY

    key = str(params.get(POLICY_INFOTEXT_KEY) or "increment").strip().lower()
    return update(value=POLICY_LABELS.get(key, POLICY_LABELS["increment"]))
