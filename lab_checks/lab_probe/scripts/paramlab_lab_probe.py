"""A lab-only helper extension (never shipped in ParamLab's scripts/): counts the model calls A1111 really
makes, through ``on_cfg_denoiser`` (fired before every ``CFGDenoiser.forward``), and the steps its progress
bar shows for each sampling pass (``state.sampling_steps``). ``GET /paramlab-lab/v1/calls`` returns and
resets them. Pass this folder to the lab's start.sh beside the extension under test."""

from modules import script_callbacks

_counts: dict = {"calls": 0, "passes": []}
_last = {"step": -1}


def _on_denoiser(params) -> None:  # type: ignore[no-untyped-def]
    _counts["calls"] += 1
    if params.sampling_step < _last["step"] or not _counts["passes"]:
        height, width = params.x.shape[-2:]
        _counts["passes"].append({"progress_steps": int(params.total_sampling_steps),
                                  "width": int(width) * 8, "height": int(height) * 8})
    _last["step"] = params.sampling_step


def _routes(_demo, app) -> None:  # type: ignore[no-untyped-def]
    if getattr(app.state, "paramlab_lab_probe", False):
        return
    app.state.paramlab_lab_probe = True

    @app.get("/paramlab-lab/v1/calls")
    def calls() -> dict:
        answer = {"calls": _counts["calls"], "passes": list(_counts["passes"])}
        _counts["calls"], _counts["passes"], _last["step"] = 0, [], -1
        return answer


script_callbacks.on_cfg_denoiser(_on_denoiser, name="paramlab_lab_probe")
script_callbacks.on_app_started(_routes, name="paramlab_lab_probe_routes")
