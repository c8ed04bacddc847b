"""ParamLab's entries in Settings (section "ParamLab"); every key carries the ``paramlab_`` prefix."""

from __future__ import annotations

import gradio as gr
from modules import shared

SECTION = ("paramlab", "ParamLab")


def on_ui_settings() -> None:
    shared.opts.add_option(
        "paramlab_record",
        shared.OptionInfo(True, "Record every generation in the ParamLab ledger", gr.Checkbox, section=SECTION)
        .info("settings, cost (GPU time, VRAM) and image link; a run's own ParamLab option can turn it off"),
    )
    shared.opts.add_option(
        "paramlab_db",
        shared.OptionInfo(
            "", "Ledger location (file path or SQLAlchemy URL; empty = <data dir>/paramlab/ledger.sqlite)",
            gr.Textbox, section=SECTION,
        )
        .info("the --paramlab-db command-line flag wins over this")
        .needs_restart(),
    )
    shared.opts.add_option(
        "paramlab_thumbnails",
        shared.OptionInfo(
            True, "Keep a small thumbnail (≤ 256 px) of images that are not saved to disk", gr.Checkbox,
            section=SECTION,
        ).info("so the ParamLab tab can show what an API generation produced"),
    )


def recording_enabled() -> bool:
    return bool(shared.opts.data.get("paramlab_record", True))
