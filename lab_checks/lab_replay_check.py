"""Issue 20's "Done when" against a running lab WebUI with ParamLab, ControlNet (and ADetailer in A1111).

Usage (start the lab with ParamLab exported from a worktree and a FRESH ledger, see
lab_checks/notes/extensions_in_the_lab.md):

    python lab_checks/lab_replay_check.py a1111 --db /tmp/lab.sqlite --paramlab /tmp/ext-lab [--labface]
    python lab_checks/lab_replay_check.py forge --db /tmp/forge.sqlite --paramlab /tmp/ext-lab

Stdlib + sqlite3 only (run it with any python: the lab's venv or /work/main/.venv). ``--paramlab`` is the
ParamLab folder the lab runs; the canary CLI runs from it with ``--cli-python`` (a python with ParamLab's
requirements, default /work/main/.venv/bin/python). Steps (``--only`` picks some; each prints PASS/FAIL lines):

  reproduce  an img2img inpaint, a txt2img with one ControlNet unit, txt2img with ADetailer (A1111; with
             --labface a run where it really detects a face and repaints it) — each followed by other work
             (an img2img with another seed), then ``POST /paramlab/v1/images/{id}/reproduce``: the client keeps
             nothing, the replay takes its inputs from the ledger → ``identical: true``;
  dedup      N txt2img renders with the same control image → run_inputs N rows, one distinct sha, one blob;
  canary     pin 6 images (2 txt2img, 2 img2img, 2 ControlNet), ``canary run`` → exit 0, all identical; then
             Settings "Random number generator source" = NV → exit 1 naming "RNG source" for each drifted
             image; the setting is put back;
  missing    the ControlNet model file moved away → the canary reports it "refused" naming it (asked first: on
             Forge a reproduce would rescan ControlNet's list for it), and the reproduce route answers 409 naming
             the model before sampling; the file is put back.
Exit 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

HOSTS = {
    "a1111": {"port": 7860, "model": "tiny_t2iadapter_sd15", "module": "none", "webui": "/root/a1111-lab"},
    "forge": {"port": 7861, "model": "tiny_controlnet_forge", "module": "None", "webui": "/root/forge-lab"},
}
STEPS = ("reproduce", "dedup", "canary", "missing")
BASE = {"prompt": "a knight, dramatic lighting", "negative_prompt": "", "steps": 4, "width": 64, "height": 64,
        "seed": 1234, "sampler_name": "Euler", "cfg_scale": 7, "save_images": True}
failures: list[str] = []


def report(ok: bool, what: str, detail: str = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"  — {detail}" if detail else ""), flush=True)
    if not ok:
        failures.append(what)
    return ok


def png(width: int, height: int, pixel) -> str:
    """A base64 PNG (RGB, or L when ``pixel`` returns an int), written with zlib: no Pillow needed."""
    sample = pixel(0, 0)
    grey = isinstance(sample, int)
    rows = b"".join(b"\0" + b"".join(bytes([pixel(x, y)]) if grey else bytes(pixel(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + (zlib.crc32(kind + data) & 0xFFFFFFFF).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0 if grey else 2, 0, 0, 0])
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


def control_image(invert: bool = False) -> str:
    def stripes(x: int, y: int) -> tuple[int, int, int]:
        value = (x + y) % 16 * 16
        value = 255 - value if invert else value
        return (value, value, value)
    return png(64, 64, stripes)


def noise_image(salt: int) -> str:
    return png(64, 64, lambda x, y: ((x * 37 + y * 91 + salt) % 251, (x * 13 + y * 7 + salt * 3) % 253,
                                     (x * y + salt) % 255))


def mask_image() -> str:
    return png(64, 64, lambda x, y: 255 if 16 <= x < 48 and 16 <= y < 48 else 0)


class Api:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 900) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        headers["X-ParamLab-Request"] = "1"  # ParamLab's routes refuse a bodiless write without it (CSRF guard)
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text or b"{}")
            except ValueError:
                return error.code, {"detail": text.decode("utf-8", "replace")[:500]}


class Ledger:
    def __init__(self, path: str) -> None:
        self.path = path

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def last_image(self) -> int:
        return self.rows("SELECT COALESCE(MAX(id), 0) FROM images")[0][0]

    def new_image_after(self, before: int, wait: float = 30) -> int | None:
        """The image the last request recorded (the ledger may be written just after the answer)."""
        deadline = time.time() + wait
        while time.time() < deadline:
            now = self.last_image()
            if now > before:
                return now
            time.sleep(0.3)
        return None

    def job_status(self, image_id: int, wait: float = 30) -> str:
        """The job's status once it is no longer running (it closes just after the API answers)."""
        deadline = time.time() + wait
        while True:
            found = self._job_status(image_id)
            if found != "running" or time.time() > deadline:
                return found
            time.sleep(0.3)

    def _job_status(self, image_id: int) -> str:
        found = self.rows("SELECT j.status FROM images i JOIN runs r ON r.id = i.run_id JOIN jobs j ON j.id = r.job_id "
                          "WHERE i.id = ?", image_id)
        return found[0][0] if found else "?"


class Lab:
    def __init__(self, args: argparse.Namespace) -> None:
        host = HOSTS[args.host]
        self.host, self.ledger = args.host, Ledger(args.db)
        self.api = Api(args.url or f"http://127.0.0.1:{host['port']}")
        self.module, self.webui_dir, self.args = host["module"], Path(args.webui or host["webui"]), args
        self.model = self._controlnet_model(host["model"])
        self.unit = {"enabled": True, "image": control_image(), "module": self.module, "model": self.model,
                     "weight": 1.0, "resize_mode": "Crop and Resize", "guidance_start": 0.0, "guidance_end": 1.0,
                     "control_mode": "Balanced", "pixel_perfect": False, "save_detected_map": False}
        self.inpaint = dict(BASE, init_images=[noise_image(1)], mask=mask_image(), denoising_strength=0.6,
                            mask_blur=4, inpainting_fill=1, inpaint_full_res=False, inpaint_full_res_padding=32,
                            inpainting_mask_invert=0, resize_mode=0)
        self.made: dict[str, list[int]] = {"txt2img": [], "img2img": [], "controlnet": []}

    def _controlnet_model(self, stem: str) -> str:
        for _ in range(60):  # Forge's extension routes answer a few seconds after its start.sh returns
            status, answer = self.api.call("GET", "/controlnet/model_list?update=true")
            if status == 200:
                break
            time.sleep(1)
        else:
            sys.exit("no /controlnet/model_list: is ControlNet installed in the lab?")
        model = next((m for m in answer["model_list"] if m.split(" [")[0] == stem), None)
        if model is None:
            sys.exit(f"{stem} is not in /controlnet/model_list {answer['model_list']}: "
                     "run lab_checks/install_lab_extensions.sh")
        return model

    def generate(self, label: str, endpoint: str, body: dict) -> int | None:
        before = self.ledger.last_image()
        started = time.perf_counter()
        status, answer = self.api.call("POST", f"/sdapi/v1/{endpoint}", body)
        seconds = time.perf_counter() - started
        image_id = self.ledger.new_image_after(before) if status == 200 else None
        job = self.ledger.job_status(image_id) if image_id else "?"
        report(status == 200 and image_id is not None and job == "ok", f"{label}: generated and recorded",
               f"HTTP {status}, image {image_id}, job {job}, {seconds:.1f} s"
               + ("" if status == 200 else f", {str(answer)[:300]}"))
        return image_id

    def other_work(self) -> None:
        """An img2img with another seed between the original and its replay: history dependence shows."""
        status, _ = self.api.call("POST", "/sdapi/v1/img2img",
                                  dict(BASE, seed=98765, init_images=[noise_image(7)], denoising_strength=0.5))
        if status != 200:
            report(False, "other work (img2img, another seed)", f"HTTP {status}")

    def reproduce(self, label: str, image_id: int | None) -> None:
        if image_id is None:
            report(False, f"{label}: reproduced", "no image to reproduce")
            return
        self.other_work()
        started = time.perf_counter()
        status, answer = self.api.call("POST", f"/paramlab/v1/images/{image_id}/reproduce")
        seconds = time.perf_counter() - started
        report(status == 200 and answer.get("identical") is True,
               f"{label}: image {image_id} reproduced identical from the ledger",
               f"HTTP {status}, {seconds:.1f} s, against the {answer.get('compared_against')}, "
               f"verdict {answer.get('verdict')}; {answer.get('summary') or answer.get('detail')}")

    # --- the steps ---------------------------------------------------------------------------------------
    def step_reproduce(self) -> None:
        inpaint = self.generate("img2img inpaint (init + mask)", "img2img", self.inpaint)
        self.made["img2img"].append(inpaint)
        self.reproduce("img2img inpaint", inpaint)
        cn = self.generate("txt2img + one ControlNet unit", "txt2img",
                           dict(BASE, seed=2345, alwayson_scripts={"controlnet": {"args": [self.unit]}}))
        self.made["controlnet"].append(cn)
        self.reproduce("txt2img + ControlNet", cn)
        status, models = self.api.call("GET", "/adetailer/v1/ad_model")
        if status != 200:
            print(f"SKIP  ADetailer: not installed in this lab ({self.host}; /adetailer/v1/ad_model → {status})")
            return
        ad = {"ad_model": "mediapipe_face_full", "ad_prompt": "a face", "ad_confidence": 0.3, "ad_steps": 4}
        adetailer = {"ADetailer": {"args": [True, False, ad]}}
        plain = self.generate("txt2img + ADetailer (nothing detected)", "txt2img",
                              dict(BASE, seed=3456, alwayson_scripts=adetailer))
        self.reproduce("txt2img + ADetailer (nothing detected)", plain)
        if self.args.labface:
            log_from = self.log_size()
            face = self.generate("txt2img LABFACE + ADetailer (detects, repaints)", "txt2img",
                                 dict(BASE, seed=4567, width=128, height=128, prompt=BASE["prompt"] + ", LABFACE",
                                      alwayson_scripts=adetailer))
            detected = "1 detected" in self.log_since(log_from)
            report(detected, "ADetailer really detected a face", "server log: 'mediapipe: 1 detected.'"
                   if detected else "no 'detected' line in the server log")
            self.reproduce("txt2img LABFACE + ADetailer", face)

    def step_dedup(self) -> None:
        pose = control_image(invert=True)
        body = dict(BASE, alwayson_scripts={"controlnet": {"args": [dict(self.unit, image=pose)]}})
        ids = [self.generate(f"pose render {n + 1}/{self.args.renders}", "txt2img", dict(body, seed=5000 + n))
               for n in range(self.args.renders)]
        ids = [i for i in ids if i]
        if ids:
            self.made["controlnet"].append(ids[0])
        marks = ",".join("?" * len(ids)) or "NULL"
        rows, distinct = self.ledger.rows(
            f"SELECT COUNT(*), COUNT(DISTINCT sha256) FROM run_inputs WHERE role = 'control' AND run_id IN "
            f"(SELECT run_id FROM images WHERE id IN ({marks}))", *ids)[0]
        shas = self.ledger.rows(f"SELECT DISTINCT sha256 FROM run_inputs WHERE role = 'control' AND run_id IN "
                                f"(SELECT run_id FROM images WHERE id IN ({marks}))", *ids)
        blobs = self.ledger.rows("SELECT COUNT(*), MAX(stored_path), MAX(size_bytes) FROM input_blobs WHERE sha256 = ?",
                                 shas[0][0] if shas else "")[0]
        report(rows == self.args.renders and distinct == 1 and blobs[0] == 1,
               f"{self.args.renders} renders with one pose image store it once",
               f"run_inputs rows {rows}, distinct sha {distinct}, input_blobs rows {blobs[0]} "
               f"({blobs[2]} bytes at {blobs[1]}); input_blobs total "
               f"{self.ledger.rows('SELECT COUNT(*) FROM input_blobs')[0][0]}")

    def cli(self, *arguments: str) -> tuple[int, str]:
        command = [self.args.cli_python, "-m", "paramlab", "--db", self.args.db, "canary", *arguments]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=self.args.paramlab, capture_output=True, text=True, timeout=3600,
                              env=dict(os.environ, PYTHONPATH=self.args.paramlab))
        output = done.stdout + done.stderr
        print(f"      $ {' '.join(command[1:])}  → exit {done.returncode} in {time.perf_counter() - started:.1f} s")
        print("\n".join(f"      | {line}" for line in output.strip().splitlines() if "it/s" not in line
                        and "s/image" not in line))
        return done.returncode, output

    def step_canary(self) -> None:
        while len(self.made["txt2img"]) < 2:
            self.made["txt2img"].append(self.generate("plain txt2img", "txt2img",
                                                      dict(BASE, seed=6000 + len(self.made["txt2img"]))))
        while len(self.made["img2img"]) < 2:
            self.other_work()  # recorded after other work than what precedes it in the canary's order
            self.made["img2img"].append(self.generate("plain img2img", "img2img",
                                                      dict(BASE, seed=7000 + len(self.made["img2img"]),
                                                           init_images=[noise_image(3)], denoising_strength=0.6)))
        while len(self.made["controlnet"]) < 2:
            self.made["controlnet"].append(self.generate(
                "txt2img + ControlNet", "txt2img",
                dict(BASE, seed=8000 + len(self.made["controlnet"]),
                     alwayson_scripts={"controlnet": {"args": [self.unit]}})))
        pins = [i for kind in ("txt2img", "img2img", "controlnet") for i in self.made[kind][:2] if i]
        code, _ = self.cli("pin", *map(str, pins), "--note", "lab_replay_check")
        report(code == 0 and len(pins) == 6, "6 images pinned (2 txt2img, 2 img2img, 2 ControlNet)", f"ids {pins}")
        self.other_work()
        code, output = self.cli("run", "--webui", self.api.url, "--quiet")
        identical = self.result_outcomes(pins)
        report(code == 0 and identical.count("identical") == len(pins), "canary run: exit 0, all identical",
               f"exit {code}; outcomes {identical}")
        status, options = self.api.call("GET", "/sdapi/v1/options")
        source = options.get("randn_source", "GPU")
        status, _ = self.api.call("POST", "/sdapi/v1/options", {"randn_source": "NV"})
        try:
            code, output = self.cli("run", "--webui", self.api.url, "--quiet")
            outcomes = self.result_outcomes(pins)
            drifted = [i for i, o in zip(pins, outcomes) if o != "identical"]
            named = self.latest_results_naming("RNG source", drifted)
            report(status == 200 and code == 1 and drifted and named == len(drifted),
                   f"randn_source {source} → NV: canary exits 1 naming RNG source for each drifted image",
                   f"exit {code}; outcomes {outcomes}; {len(drifted)} drifted, {named} name 'RNG source'")
        finally:
            status, _ = self.api.call("POST", "/sdapi/v1/options", {"randn_source": source})
            report(status == 200, f"randn_source set back to {source}")

    def result_outcomes(self, pins: list[int]) -> list[str]:
        report_id = self.ledger.rows("SELECT MAX(id) FROM canary_reports")[0][0]
        rows = dict(self.ledger.rows("SELECT image_id, outcome FROM canary_results WHERE report_id = ?", report_id))
        return [rows.get(i, "?") for i in pins]

    def latest_results_naming(self, text: str, image_ids: list[int]) -> int:
        report_id = self.ledger.rows("SELECT MAX(id) FROM canary_reports")[0][0]
        columns = [row[1] for row in self.ledger.rows("PRAGMA table_info(canary_results)")]
        found = 0
        for image_id in image_ids:
            row = self.ledger.rows("SELECT * FROM canary_results WHERE report_id = ? AND image_id = ?",
                                   report_id, image_id)
            found += bool(row) and text in json.dumps(dict(zip(columns, row[0])), default=str, ensure_ascii=False)
        return found

    def log_size(self) -> int:
        log = self.webui_dir / "server.log"
        return log.stat().st_size if log.exists() else 0

    def log_since(self, offset: int) -> str:
        log = self.webui_dir / "server.log"
        if not log.exists():
            return ""
        with open(log, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    def step_missing(self) -> None:
        cn = next((i for i in self.made["controlnet"] if i), None)
        if cn is None:
            cn = self.generate("txt2img + ControlNet", "txt2img",
                               dict(BASE, seed=9000, alwayson_scripts={"controlnet": {"args": [self.unit]}}))
        stem = self.model.split(" [")[0]
        source = self.webui_dir / "webui" / "models" / "ControlNet" / f"{stem}.safetensors"
        parked = Path(f"/tmp/lab_replay_check_{self.host}_{source.name}")
        shutil.move(source, parked)
        try:
            _, listed = self.api.call("GET", "/controlnet/model_list?update=true")
            print(f"INFO  /controlnet/model_list?update=true after the move: {listed.get('model_list')}"
                  + (" (Forge scans its list only at start and on the UI's refresh button; ParamLab rescans it "
                     "before a replay)" if self.model in listed.get("model_list", []) else ""))
            # the canary first: on Forge a reproduce rescans ControlNet's list, and the canary must not need that
            pins = self.ledger.rows("SELECT image_id FROM canary_pins")
            if not pins:
                self.cli("pin", str(cn))
            code, output = self.cli("run", "--webui", self.api.url, "--quiet")
            refused = self.ledger.rows(
                "SELECT COUNT(*) FROM canary_results WHERE report_id = (SELECT MAX(id) FROM canary_reports) "
                "AND outcome = 'refused' AND message LIKE ?", f"%{stem}%")[0][0]
            expected = self.ledger.rows(
                "SELECT COUNT(DISTINCT p.image_id) FROM canary_pins p JOIN images i ON i.id = p.image_id "
                "JOIN run_inputs ri ON ri.run_id = i.run_id WHERE ri.role = 'control'")[0][0]
            report(code == 1 and refused == expected and refused > 0,
                   "canary: the ControlNet images are 'refused' naming the model", f"exit {code}, {refused} refused "
                   f"naming {stem} (pinned ControlNet images {expected})")
            log_from, started = self.log_size(), time.perf_counter()
            status, answer = self.api.call("POST", f"/paramlab/v1/images/{cn}/reproduce")
            seconds, log = time.perf_counter() - started, self.log_since(log_from)
            sampled = "it/s" in log or "s/it" in log or "model not found" in log
            detail = str(answer.get("detail") or answer)
            report(status == 409 and stem in detail and not sampled,
                   f"reproduce of image {cn} refused before sampling, naming the model",
                   f"HTTP {status} in {seconds:.2f} s, sampling in the log: {sampled}; {detail[:300]}")
        finally:
            shutil.move(parked, source)
            status, answer = self.api.call("POST", f"/paramlab/v1/images/{cn}/reproduce")
            report(status == 200 and answer.get("identical") is True,
                   f"model file put back: image {cn} reproduces identical again", f"HTTP {status}, "
                   f"{answer.get('summary') or answer.get('detail')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host", choices=sorted(HOSTS))
    parser.add_argument("--db", required=True, help="the ledger the lab's ParamLab writes (--paramlab-db)")
    parser.add_argument("--paramlab", required=True, help="the ParamLab folder the lab runs (for the canary CLI)")
    parser.add_argument("--url")
    parser.add_argument("--webui", help="the lab folder (server.log, webui/models/ControlNet)")
    parser.add_argument("--cli-python", default="/work/main/.venv/bin/python")
    parser.add_argument("--labface", action="store_true", help="0lab-face is linked: a run where ADetailer detects")
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--only", default=",".join(STEPS), help=f"comma-separated among {', '.join(STEPS)}")
    args = parser.parse_args()
    lab = Lab(args)
    print(f"{args.host} at {lab.api.url}: ControlNet model {lab.model!r}, module {lab.module!r}; ledger {args.db}")
    for step in [s.strip() for s in args.only.split(",") if s.strip()]:
        if step not in STEPS:
            sys.exit(f"unknown step {step!r}")
        print(f"== {step}")
        getattr(lab, f"step_{step}")()
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'ALL PASSED'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
