"""The selectable script "ParamLab A/B test": every variant on the same prompts and paired seeds, as one job.

Each cell (variant, prompt, seed) is one ``process_images`` call on a copy of ``p`` (as A1111's X/Y/Z plot
does), so the always-on ParamLab script records it as a run of the press's job. Its images carry the test's
name and the variant in their infotext, which is how the ledger finds them for resuming and judging. Input
errors stop the press before any sampling; A1111's Interrupt stops it between cells and inside one.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import gradio as gr
from modules import processing, scripts, shared

from paramlab.abtest.spec import SCRIPT_TITLE, ABTestArgs, ABTestError, Cell, parse_abtest_args
from paramlab.abtest.ui_value import compose_value
from paramlab.ledger import LedgerError
from paramlab.ledger.reads.abtest import TEST_KEY, VARIANT_KEY, done_cells
from paramlab.profiles import ProfileError, to_override_settings, to_p_values
from paramlab.tab.guard import build_part
from paramlab.webui import jobs, profile_apply, runtime
from paramlab.webui.script import stop_before_sampling

log = logging.getLogger("paramlab")
SUMMARY_KEY = "ParamLab A/B summary"
FLUSH_SECONDS = 30


class ParamLabABTest(scripts.Script):
    """One arg: the test as a dict (see :class:`paramlab.abtest.spec.ABTestArgs`)."""

    def title(self) -> str:
        return SCRIPT_TITLE

    def show(self, is_img2img: bool) -> bool:
        return True

    def ui(self, is_img2img: bool) -> list[Any]:
        state = gr.State(value={})
        build_part("the ParamLab A/B test controls", lambda: self._build_controls(state), elem_id=self.elem_id("ab"))
        return [state]

    def _build_controls(self, state: Any) -> None:
        name = gr.Textbox(label="Test name (a rerun with the same name resumes it)", elem_id=self.elem_id("name"))
        variants = gr.Textbox(
            label="Variants, one per line: a profile name, or  name = {\"Steps\": 30, \"CFG scale\": 5}",
            lines=3, elem_id=self.elem_id("variants"))
        prompts = gr.Textbox(label="Prompts, one per line", lines=3, elem_id=self.elem_id("prompts"))
        with gr.Row():
            seed_count = gr.Number(label="Paired seeds", value=10, precision=0, elem_id=self.elem_id("seed_count"))
            first_seed = gr.Number(label="First seed", value=1, precision=0, elem_id=self.elem_id("first_seed"))
            confirm = gr.Checkbox(label="Confirm a large test", value=False, elem_id=self.elem_id("confirm"))
        controls = [name, variants, prompts, seed_count, first_seed, confirm]
        for control in controls:
            control.change(fn=compose_value, inputs=controls, outputs=[state], show_progress=False)

    def run(self, p: Any, raw: Any = None, *_ignored: Any) -> Any:
        try:
            test = parse_abtest_args(raw)
            check_profiles(test)
        except (ABTestError, ProfileError, LedgerError) as exc:
            stop_before_sampling(p, str(exc))
            return processing.Processed(p, [], getattr(p, "seed", -1), str(exc))
        return run_test(p, test, is_img2img=self.is_img2img)


def check_profiles(test: ABTestArgs) -> None:
    """Every profile variant exists and fits this WebUI, before any sampling."""
    for variant in test.variants:
        if variant.profile is not None:
            profile = profile_apply.load_profile(variant.profile)
            if profile.unusable_reason:
                raise ProfileError(f"ParamLab: variant {variant.name!r}: profile {profile.name!r} cannot be used "
                                   f"here: {profile.unusable_reason}")


def run_test(p: Any, test: ABTestArgs, *, is_img2img: bool) -> Any:
    """The cells the ledger does not have yet, pair by pair; one Processed with every new image."""
    # The previous run's last images may still be on their way to the ledger: let them land first
    # (only the writes, not the quality figures), or a rerun right after would make them again.
    runtime.get_writer().flush(FLUSH_SECONDS, background=False)
    done = done_cells(runtime.get_ledger(), test.name)
    todo = [cell for cell in test.cells() if cell.key not in done]
    skipped = len(test.cells()) - len(todo)
    job = jobs.job_of(p)
    if job is not None:
        job.job.script_args = test.to_json()  # the test's definition, for the decision and the winner
    shared.state.job_count = len(todo)
    result_images: list[Any] = []
    infotexts: list[str] = []
    seeds: list[int] = []
    for number, cell in enumerate(todo, start=1):
        if shared.state.interrupted or getattr(shared.state, "stopping_generation", False):
            break
        shared.state.job = f"A/B {number} out of {len(todo)}"
        processed = processing.process_images(cell_p(p, cell, test, is_img2img=is_img2img))
        result_images += processed.images
        infotexts += processed.infotexts
        seeds += [cell.seed] * len(processed.images)
    remaining = len(todo) - len(seeds)
    note = (f"ParamLab A/B test {test.name!r}: {len(result_images)} new images; {skipped} cells were already "
            f"in the ledger and were skipped" + (f"; {remaining} cells left (run it again to resume)." if remaining
                                                else "."))
    log.info(note)
    result = processing.Processed(p, result_images, seeds[0] if seeds else test.seeds[0], note,
                                  infotexts=infotexts, comments=note)
    # For API callers, in the answer's info JSON only (p's own dict, which makes infotexts, is left alone).
    result.extra_generation_params = {**(result.extra_generation_params or {}), SUMMARY_KEY: {
        "name": test.name, "new_images": len(result_images), "skipped_cells": skipped, "remaining_cells": remaining,
        "summary": note}}
    return result


def cell_p(p: Any, cell: Cell, test: ABTestArgs, *, is_img2img: bool) -> Any:
    """A copy of ``p`` for one cell: its prompt, fixed seed, one image, and the variant's settings."""
    cp = copy.copy(p)
    cp.prompt, cp.seed, cp.subseed_strength = cell.prompt, cell.seed, 0
    cp.n_iter, cp.batch_size = 1, 1
    if test.negative_prompt is not None:
        cp.negative_prompt = test.negative_prompt
    cp.override_settings = dict(getattr(p, "override_settings", None) or {})
    cp.extra_generation_params = dict(getattr(p, "extra_generation_params", None) or {})
    variant = cell.variant
    if variant.profile is not None:
        profile_apply.apply_profile(cp, profile_apply.load_profile(variant.profile), is_img2img=is_img2img)
    else:
        settings = dict(variant.settings or {})
        for attribute, value in to_p_values(settings).items():
            if not (is_img2img and attribute == "enable_hr"):
                setattr(cp, attribute, value)
        cp.override_settings.update(to_override_settings(settings))
    cp.extra_generation_params[TEST_KEY] = test.name
    cp.extra_generation_params[VARIANT_KEY] = variant.name
    return cp
