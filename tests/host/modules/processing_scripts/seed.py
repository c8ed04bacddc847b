"""Stand-in for the builtin ``ScriptSeed`` (seed and variation-seed controls)."""

from __future__ import annotations

from typing import Any

from modules import scripts
from modules.infotext_utils import PasteField


class ScriptSeed(scripts.ScriptBuiltinUI):
    """Writes p.seed (and subseed/resize when the Extra box is ticked) in setup(); skipped for the API."""

    section = "seed"
    create_group = False

    def __init__(self) -> None:
        self.seed: Any = None
        self.reuse_seed: Any = None
        self.reuse_subseed: Any = None

    def title(self) -> str:
        """Builtin title."""
        return "Seed"

    def ui(self, is_img2img: bool) -> Any:
        """Returns seed, seed_checkbox, subseed, subseed_strength, seed_resize_from_w, seed_resize_from_h."""
        import gradio as gr

        self.seed = gr.Number(
            label="Seed", value=-1, elem_id=self.elem_id("seed"), min_width=100, precision=0
        )
        seed_checkbox = gr.Checkbox(label="Extra", elem_id=self.elem_id("subseed_show"), value=False)
        subseed = gr.Number(label="Variation seed", value=-1, elem_id=self.elem_id("subseed"), precision=0)
        subseed_strength = gr.Slider(
            label="Variation strength",
            value=0.0,
            minimum=0,
            maximum=1,
            step=0.01,
            elem_id=self.elem_id("subseed_strength"),
        )
        seed_resize_from_w = gr.Slider(
            minimum=0,
            maximum=2048,
            step=8,
            label="Resize seed from width",
            value=0,
            elem_id=self.elem_id("seed_resize_from_w"),
        )
        seed_resize_from_h = gr.Slider(
            minimum=0,
            maximum=2048,
            step=8,
            label="Resize seed from height",
            value=0,
            elem_id=self.elem_id("seed_resize_from_h"),
        )
        self.infotext_fields = [
            PasteField(self.seed, "Seed", api="seed"),
            PasteField(seed_checkbox, lambda d: "Variation seed" in d or "Seed resize from-1" in d),
            PasteField(subseed, "Variation seed", api="subseed"),
            PasteField(subseed_strength, "Variation seed strength", api="subseed_strength"),
            PasteField(seed_resize_from_w, "Seed resize from-1", api="seed_resize_from_w"),
            PasteField(seed_resize_from_h, "Seed resize from-2", api="seed_resize_from_h"),
        ]
        return self.seed, seed_checkbox, subseed, subseed_strength, seed_resize_from_w, seed_resize_from_h

    def setup(
        self,
        p: Any,
        seed: int,
        seed_checkbox: bool,
        subseed: int,
        subseed_strength: float,
        seed_resize_from_w: int,
        seed_resize_from_h: int,
    ) -> None:
        """Overwrites what extension setup() wrote (runs after them)."""
        p.seed = seed
        if seed_checkbox and subseed_strength > 0:
            p.subseed = subseed
            p.subseed_strength = subseed_strength
        if seed_checkbox and seed_resize_from_w > 0 and seed_resize_from_h > 0:
            p.seed_resize_from_w = seed_resize_from_w
            p.seed_resize_from_h = seed_resize_from_h
