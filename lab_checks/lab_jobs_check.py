"""Issue 12 in the real WebUI (the lab): model evaluations against the model calls A1111 makes, a USDU upscale,
an X/Y/Z plot and an Extras upscale as jobs, and the API answers naming them.

Run against a lab started with this extension, Ultimate SD upscale and ``lab_checks/lab_probe`` (which counts the
model calls); prints every figure and exits 1 when one disagrees. Usage:
``python lab_checks/lab_jobs_check.py LEDGER.sqlite [http://127.0.0.1:7860]``
"""

from __future__ import annotations

import base64
import json
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

BASE = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:7860"
SMALL = {"width": 64, "height": 64, "seed": 42, "prompt": "a lighthouse"}
failures: list[str] = []


def call(path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(BASE + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.loads(answer.read())


def check(label: str, got: Any, want: Any) -> None:
    verdict = "ok" if got == want else "MISMATCH"
    if got != want:
        failures.append(label)
    print(f"  {label}: {got!r} (want {want!r}) {verdict}")


def ledger_rows(path: Path, query: str, *args: Any) -> list[dict]:
    for _ in range(50):  # the ledger writer and the background hashing catch up within seconds
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            rows = [dict(row) for row in connection.execute(query, args)]
        finally:
            connection.close()
        if rows and all(row.get("image_sha256", "x") is not None for row in rows):
            return rows
        time.sleep(0.3)
    return rows


def note_of(answer: dict) -> dict:
    return json.loads(answer["info"])["extra_generation_params"]["ParamLab"]


def compute_cases(db: Path) -> None:
    print("Model evaluations against A1111's own counts (probe: on_cfg_denoiser calls, progress steps)")
    hires = {"enable_hr": True, "hr_scale": 2, "hr_upscaler": "Latent", "denoising_strength": 0.5}
    cases = [
        ("txt2img Euler 10, hires x2 steps 0", "txt2img", {"sampler_name": "Euler", "steps": 10, **hires,
                                                           "hr_second_pass_steps": 0}),
        ("txt2img Euler 10, hires x2 steps 4", "txt2img", {"sampler_name": "Euler", "steps": 10, **hires,
                                                           "hr_second_pass_steps": 4}),
        ("txt2img Heun 10, hires x2 steps 0", "txt2img", {"sampler_name": "Heun", "steps": 10, **hires,
                                                          "hr_second_pass_steps": 0}),
        ("txt2img DPM2 6", "txt2img", {"sampler_name": "DPM2", "steps": 6}),
        ("txt2img DDIM 20", "txt2img", {"sampler_name": "DDIM", "steps": 20}),
        ("img2img Euler 20, denoising 0.5", "img2img", {"sampler_name": "Euler", "steps": 20,
                                                         "denoising_strength": 0.5}),
        ("img2img Heun 10, denoising 0.75", "img2img", {"sampler_name": "Heun", "steps": 10,
                                                         "denoising_strength": 0.75}),
    ]
    init = base64.b64encode(_png(64)).decode()
    for label, tab, fields in cases:
        call("/paramlab-lab/v1/calls")  # reset
        body = {**SMALL, **fields}
        if tab == "img2img":
            body["init_images"] = [init]
        answer = call(f"/sdapi/v1/{tab}", body)
        probe = call("/paramlab-lab/v1/calls")
        uid = note_of(answer)["images"][0]
        [row] = ledger_rows(db, "SELECT model_evaluations, megapixel_steps FROM images WHERE image_uid = ?", uid)
        progress = sum(p["progress_steps"] for p in probe["passes"])
        mp_steps = sum(p["progress_steps"] * p["width"] * p["height"] / 1e6 for p in probe["passes"])
        print(f"- {label}: progress {' + '.join(str(p['progress_steps']) for p in probe['passes'])} = {progress} "
              f"steps; model calls {probe['calls']}")
        check("ledger model_evaluations = model calls", row["model_evaluations"], probe["calls"])
        check("ledger megapixel_steps = progress steps × megapixels", round(row["megapixel_steps"], 6),
              round(mp_steps, 6))


def _png(size: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (40, 90, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def script_args(title: str, is_img2img: bool) -> list[dict]:
    return next(s["args"] for s in call("/sdapi/v1/script-info")
                if s["name"] == title and s["is_img2img"] == is_img2img)


def job_of(db: Path, uid: str) -> dict:
    """The job once it has ended (A1111 releases the request's p after answering)."""
    for _ in range(100):
        [job] = ledger_rows(db, "SELECT * FROM jobs WHERE job_uid = ?", uid)
        if job["status"] != "running":
            return job
        time.sleep(0.2)
    return job


def upscale_case(db: Path) -> str:
    print("Ultimate SD upscale of a ledger image, 64 → 128 px in 64 px tiles (img2img API)")
    draft = call("/sdapi/v1/txt2img", {**SMALL, "steps": 4, "save_images": True})
    draft_uid = note_of(draft)["images"][0]
    [source] = ledger_rows(db, "SELECT id, image_path, image_sha256 FROM images WHERE image_uid = ?", draft_uid)
    init = base64.b64encode(Path(source["image_path"]).read_bytes()).decode()
    args = [arg["value"] for arg in script_args("ultimate sd upscale", True)]
    upscalers = script_args("ultimate sd upscale", True)[8]["choices"]
    # Index-type controls take the index through the API (script-info lists their names as values).
    args[1], args[2], args[8], args[10], args[13], args[14], args[17] = 64, 0, upscalers.index("Lanczos"), 0, 0, 2, 2
    answer = call("/sdapi/v1/img2img", {**SMALL, "steps": 6, "sampler_name": "Euler", "denoising_strength": 0.4,
                                        "init_images": [init], "script_name": "Ultimate SD upscale",
                                        "script_args": args})
    note = note_of(answer)
    job = job_of(db, note["job"])
    runs = ledger_rows(db, "SELECT role, image_count, wall_seconds, settings FROM runs WHERE job_id = ? ORDER BY id",
                       job["id"])
    images = ledger_rows(db, "SELECT i.* FROM images i JOIN runs r ON i.run_id = r.id WHERE r.job_id = ?", job["id"])
    print(f"- job {job['id']} {job['job_uid']}: kind {job['kind']}, status {job['status']}, wall "
          f"{job['wall_seconds']:.3f} s, runs {[r['role'] for r in runs]}")
    check("one image row", len(images), 1)
    image = images[0]
    check("the answer names that image", note["images"], [image["image_uid"]])
    check("its size", (image["width"], image["height"]), (128, 128))
    check("linked to its file", Path(image["image_path"]).is_file(), True)
    check("with its SHA-256", image["image_sha256"] is not None, True)
    check("linked to the draft it came from", image["source_image_id"], source["id"])
    check("job kind", job["kind"], "tile_upscale")
    check("tile passes as parts", sum(1 for r in runs if r["role"] == "tile"), 4)
    check("job cost = image cost", job["cost_seconds"], image["cost_seconds"])
    tiles = sum(json.loads(r["settings"])["seconds"] for r in runs if r["role"] == "tile")
    print(f"  total cost {image['cost_seconds']:.3f} s (tile passes {tiles:.3f} s), model evaluations "
          f"{image['model_evaluations']}, upscale {image['upscale']}")
    print(f"  job route: {json.dumps(call('/paramlab/v1/jobs/' + job['job_uid'])['images'][0]['history'])}")
    return source["image_path"]


def xyz_case(db: Path) -> None:
    print("X/Y/Z plot (txt2img API), Steps 3, 5, 8")
    info = script_args("x/y/z plot", False)
    args = [arg["value"] for arg in info]
    args[0], args[1] = info[0]["choices"].index("Steps"), "3, 5, 8"
    args[3] = args[6] = 0  # Y and Z type "Nothing": index-type controls take the index through the API
    answer = call("/sdapi/v1/txt2img", {**SMALL, "script_name": "X/Y/Z plot", "script_args": args})
    note = note_of(answer)
    job = job_of(db, note["job"])
    runs = ledger_rows(db, "SELECT id FROM runs WHERE job_id = ?", job["id"])
    print(f"- job {job['id']}: kind {job['kind']}, script {job['script_name']}, args {job['script_args'][:120]}")
    check("cells are its runs", (len(runs), job["image_count"]), (3, 3))
    check("the answer names the cell images", len(note["images"]), 3)


def extras_case(db: Path, source_path: str) -> None:
    print("Extras upscale (API extra-single-image) of that draft, Lanczos x2")
    image = base64.b64encode(Path(source_path).read_bytes()).decode()
    answer = call("/sdapi/v1/extra-single-image", {"image": image, "upscaler_1": "Lanczos", "upscaling_resize": 2})
    job_uid = answer["html_info"].split("ParamLab job: ")[1].split(",")[0].split("<")[0].strip()
    job = job_of(db, job_uid)
    [row] = ledger_rows(db, "SELECT i.width, i.height, i.source_image_id, i.upscale, i.cost_seconds FROM images i "
                            "JOIN runs r ON i.run_id = r.id WHERE r.job_id = ?", job["id"])
    [source] = ledger_rows(db, "SELECT id FROM images WHERE image_path = ?", source_path)
    print(f"- job {job['id']}: kind {job['kind']}, source {job['source']}, {row}")
    check("one Extras job linked to the ledger image", (job["kind"], row["source_image_id"]), ("extras", source["id"]))
    check("output size", (row["width"], row["height"]), (128, 128))


def main() -> None:
    db = Path(sys.argv[1])
    compute_cases(db)
    source_path = upscale_case(db)
    xyz_case(db)
    extras_case(db, source_path)
    print("FAILED: " + ", ".join(failures) if failures else "all checks agree")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
