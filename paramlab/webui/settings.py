"""ParamLab's entries in Settings (section "ParamLab"); every key carries the ``paramlab_`` prefix."""

from __future__ import annotations

import gradio as gr
from modules import shared

from paramlab.ledger.input_store import DEFAULT_MAX_MB

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
        .info("the --paramlab-db command-line flag wins over this; no password here (Settings and sysinfo "
              "show it): use a PGPASSFILE")
        .needs_restart(),
    )
    shared.opts.add_option(
        "paramlab_thumbnails",
        shared.OptionInfo(
            True, "Keep a small thumbnail (≤ 256 px) of images that are not saved to disk", gr.Checkbox,
            section=SECTION,
        ).info("so the ParamLab tab can show what an API generation produced"),
    )
    shared.opts.add_option(
        "paramlab_thumbnails_in_ledger",
        shared.OptionInfo(
            False, "Also keep a thumbnail of saved images in the ledger (always on for a PostgreSQL ledger)",
            gr.Checkbox, section=SECTION,
        ).info("so a viewer on another machine, or with another data folder, shows every image; ~10 KB per image"),
    )
    shared.opts.add_option(
        "paramlab_keep_inputs",
        shared.OptionInfo(
            True, "Keep input images (img2img, masks, ControlNet) so runs can be replayed", gr.Checkbox,
            section=SECTION,
        ).info("stored once each, beside an SQLite ledger (in the database for a team ledger); off: runs with input "
               "images cannot be replayed, and the ledger says which input is missing"),
    )
    shared.opts.add_option(
        "paramlab_input_max_mb",
        shared.OptionInfo(
            DEFAULT_MAX_MB, "Largest input image kept (MB of PNG; 0 = no limit)", gr.Number, section=SECTION,
        ).info("a larger input is not kept: its run cannot be replayed, and the ledger says so"),
    )
    shared.opts.add_option(
        "paramlab_path_map",
        shared.OptionInfo(
            "", "Where other machines' image folders are reachable from here (one FROM=TO per line, "
            "optionally HOST:FROM=TO)", gr.Textbox, section=SECTION,
        ).info("e.g. gpu-2:/home/ai/outputs=/mnt/nas/gpu-2/outputs; used to open full-size files of a shared ledger"),
    )
    shared.opts.add_option(
        "paramlab_locked_profile_editors",
        shared.OptionInfo(
            "", "Users who may change locked profiles (WebUI logins, comma-separated; * for everyone here)",
            gr.Textbox, section=SECTION, restrict_api=True,
        ).info("they may also approve and lock profiles; the command line always may"),
    )


    shared.opts.add_option(
        "paramlab_measure",
        shared.OptionInfo(True, "Measure image quality (sharpness, noise, burn, colourfulness…)", gr.Checkbox,
                          section=SECTION)
        .info("no downloads; computed off the generation thread"),
    )
    shared.opts.add_option(
        "paramlab_learned_scorers",
        shared.OptionInfo(False, "Also score with learned models (CLIP score, LAION aesthetic)", gr.Checkbox,
                          section=SECTION),
    )
    shared.opts.add_option(
        "paramlab_clip_model_path",
        shared.OptionInfo("", "CLIP model folder (a transformers CLIP ViT-L/14 saved with save_pretrained)",
                          gr.Textbox, section=SECTION),
    )
    shared.opts.add_option(
        "paramlab_aesthetic_head_path",
        shared.OptionInfo("", "LAION aesthetic predictor head (.pth or .safetensors)", gr.Textbox, section=SECTION),
    )
    shared.opts.add_option(
        "paramlab_allow_downloads",
        shared.OptionInfo(False, "Allow ParamLab to download the CLIP model when no folder is set", gr.Checkbox,
                          section=SECTION, restrict_api=True)
        .info("off: nothing is ever downloaded; the download never happens during a generation"),
    )


def recording_enabled() -> bool:
    return bool(shared.opts.data.get("paramlab_record", True))
