"""An X/Y/Z job in a ledger as the WebUI adapter writes it (each cell's run with its place in the plot), for
the matrix's browser test and benchmark: cost grows with steps, quality levels off, high CFG burns."""

from __future__ import annotations

import json

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.job_operations import FinishJob, StartJob
from paramlab.ledger.operations import WriteRun
from paramlab.ledger.records import JobRecord

SAILOR_CFGS = [5.0, 7.0, 9.0, 11.0, 15.0]
SAILOR_STEPS = [15, 20, 25, 30]


def _write(ledger: Ledger, *operations: object) -> None:
    for operation in operations:
        with ledger.write() as conn:
            operation.apply(conn)  # type: ignore[attr-defined]


def fill_xyz_job(ledger: Ledger, cfgs: list[float], steps: list[int], samplers: list[str] | None = None,
                 seeds: int = 1) -> str:
    """One X/Y/Z job (X CFG, Y steps, Z sampler) with ``seeds`` images per cell; returns its job uid."""
    samplers = samplers or ["Euler"]
    arguments = {"X type": "CFG Scale", "X values": ", ".join(f"{c:g}" for c in cfgs), "Y type": "Steps",
                 "Y values": ", ".join(str(s) for s in steps),
                 "Z type": "Sampler" if len(samplers) > 1 else "Nothing", "Z values": ", ".join(samplers)}
    job = JobRecord(tab="txt2img", source="api", kind="script", script_name="X/Y/Z plot",
                    script_args=json.dumps(arguments))
    operations: list[object] = [StartJob(job)]
    size = [len(cfgs), len(steps), len(samplers)]
    for iz, sampler in enumerate(samplers):
        for iy, step in enumerate(steps):
            for ix, cfg in enumerate(cfgs):
                place = {"x": ix, "y": iy, "z": iz, "size": size,
                         "labels": [f"CFG Scale: {cfg}", f"Steps: {step}", sampler if len(samplers) > 1 else ""]}
                seconds = 0.02 * step * (1 + 0.1 * iz)
                sharpness = 900 - 6000 / step + 3 * cfg + 7 * iz
                burn = max(cfg - 10, 0) * 0.05
                flaws = json.dumps([{"code": "cfg_burn", "advice": "lower the CFG"}]) if burn >= 0.15 else None
                images = [ImageRecord(index_in_run=n, seed=12345 + n, prompt="a sailor", sampler=sampler,
                                      steps=step, cfg_scale=cfg, width=64, height=64,
                                      cost_seconds=seconds * (1 + 0.02 * n), flaws=flaws,
                                      metrics={"sharpness": (sharpness + 5 * n, None), "noise": (2.0, None),
                                               "clipping": (burn / 2, None), "saturation_burn": (burn, None)},
                                      metrics_version="1")
                          for n in range(seeds)]
                operations.append(WriteRun(RunRecord(
                    tab="txt2img", source="script", script_name="X/Y/Z plot", job_uid=job.job_uid, role="run",
                    batch_count=seeds, batch_size=1, wall_seconds=seconds * seeds,
                    settings=json.dumps({"xyz_cell": place}), images=images)))
    operations.append(FinishJob(job.job_uid, "ok", wall_seconds=1.0))
    _write(ledger, *operations)
    return job.job_uid
