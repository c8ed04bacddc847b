"""ControlNet / ADetailer / inpaint runs through a lab WebUI's API, each sent three times: are the pixels identical?

Usage (a lab started with the extensions, see lab_checks/install_lab_extensions.sh):

    python lab_checks/lab_extensions_check.py a1111 [--url http://127.0.0.1:7860] [--labface]
    python lab_checks/lab_extensions_check.py forge [--url http://127.0.0.1:7861]

--labface: the helper extension /root/lab-ext/0lab-face (written by install_lab_extensions.sh) is linked too; adds a
txt2img run where ADetailer really detects a face and inpaints it (the random tiny VAE never draws one itself).
Needs only numpy + Pillow (any lab venv has them; --labface also scikit-image). Prints one line per case: HTTP
statuses, the number of images in the answer, the SHA-256 (first 16 hex) of each image's RGB bytes per send, and
  identical              all three sends gave the same pixels;
  identical from the 2nd the first differs, the 2nd and 3rd agree: the result depended on the PREVIOUS request
                         (img2img: the VAE posterior is sampled from torch's global RNG, which the previous
                         request seeded; see lab_checks/notes/extensions_in_the_lab.md);
  DIFFERENT              the 2nd and 3rd differ.
Exit 1 if a request fails, a case is DIFFERENT, or ControlNet had no effect.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import time
import urllib.error
import urllib.request

import numpy as np
from PIL import Image

MODELS = {"a1111": ("tiny_t2iadapter_sd15", "none"), "forge": ("tiny_controlnet_forge", "None")}
PORTS = {"a1111": 7860, "forge": 7861}


def b64png(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def control_image(invert: bool = False) -> str:
    stripes = (np.indices((64, 64)).sum(0) % 16 * 16).astype(np.uint8)
    return b64png((255 - stripes if invert else stripes)[..., None].repeat(3, 2))


def face_image(size: int) -> str:
    import skimage.data  # the astronaut photo (NASA, public domain), shipped with scikit-image
    return b64png(np.array(Image.fromarray(skimage.data.astronaut()).resize((size, size), Image.LANCZOS)))


class Api:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=60) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def digests(answer: dict) -> list[str]:
    return [hashlib.sha256(Image.open(io.BytesIO(base64.b64decode(i))).convert("RGB").tobytes()).hexdigest()[:16]
            for i in answer.get("images", [])]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("host", choices=sorted(MODELS))
    parser.add_argument("--url")
    parser.add_argument("--labface", action="store_true",
                        help="the lab helper extension 0lab-face is linked: add a run where ADetailer really detects")
    args = parser.parse_args()
    api = Api(args.url or f"http://127.0.0.1:{PORTS[args.host]}")
    name, module = MODELS[args.host]
    for _ in range(60):  # Forge's start.sh returns on /sdapi/v1/options; extension routes come a little later
        try:
            models = api.get("/controlnet/model_list")["model_list"]
            break
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            time.sleep(1)
    else:
        sys.exit("no /controlnet/model_list (404): is ControlNet installed?")
    model = next((m for m in models if m.split(" [")[0] == name), None)
    print(f"{args.host}: ControlNet models {models}; using {model!r}, module {module!r}")
    if model is None:
        sys.exit(f"{name} is not in /controlnet/model_list: run lab_checks/install_lab_extensions.sh")

    base = {"prompt": "a knight, dramatic lighting", "negative_prompt": "", "steps": 4, "width": 64, "height": 64,
            "seed": 1234, "sampler_name": "Euler", "cfg_scale": 7}
    unit = {"enabled": True, "image": control_image(), "module": module, "model": model, "weight": 1.0,
            "resize_mode": "Crop and Resize", "guidance_start": 0.0, "guidance_end": 1.0,
            "control_mode": "Balanced", "pixel_perfect": False}
    rng = np.random.default_rng(0)
    init = b64png(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    inpaint = dict(base, init_images=[init], mask=b64png(mask), denoising_strength=0.6, mask_blur=4,
                   inpainting_fill=1, inpaint_full_res=False, inpaint_full_res_padding=32,
                   inpainting_mask_invert=0, resize_mode=0)
    cn = {"controlnet": {"args": [unit]}}
    cases = [
        ("txt2img", "/sdapi/v1/txt2img", base),
        ("txt2img + ControlNet unit", "/sdapi/v1/txt2img", dict(base, alwayson_scripts=cn)),
        ("txt2img + ControlNet, other control image", "/sdapi/v1/txt2img",
         dict(base, alwayson_scripts={"controlnet": {"args": [dict(unit, image=control_image(True))]}})),
        ("img2img inpaint", "/sdapi/v1/img2img", inpaint),
        ("img2img inpaint + ControlNet unit", "/sdapi/v1/img2img", dict(inpaint, alwayson_scripts=cn)),
    ]
    ad_models = []
    try:
        ad_models = api.get("/adetailer/v1/ad_model")["ad_model"]
    except urllib.error.HTTPError:
        print("ADetailer: not installed (no /adetailer/v1/ad_model)")
    if "mediapipe_face_full" in ad_models:
        ad = {"ad_model": "mediapipe_face_full", "ad_prompt": "a face", "ad_confidence": 0.3, "ad_steps": 4}
        adetailer = {"ADetailer": {"args": [True, False, ad]}}
        cases += [
            ("txt2img + ADetailer (noise: nothing detected)", "/sdapi/v1/txt2img",
             dict(base, alwayson_scripts=adetailer)),
            ("img2img (astronaut, 128) + ADetailer", "/sdapi/v1/img2img",
             dict(base, width=128, height=128, init_images=[face_image(128)], denoising_strength=0.3,
                  alwayson_scripts=adetailer)),
        ]
    if args.labface and "mediapipe_face_full" in ad_models:
        cases.append(("txt2img LABFACE (helper swaps in a face) + ADetailer: detects, inpaints", "/sdapi/v1/txt2img",
                      dict(base, prompt=base["prompt"] + ", LABFACE", width=128, height=128,
                           alwayson_scripts=adetailer)))
    failed = False
    seen = {}
    for label, path, body in cases:
        answers = [api.post(path, body) for _ in range(3)]
        runs = [digests(answer) for _, answer in answers]
        ok = all(status == 200 for status, _ in answers) and all(runs)
        if ok and runs[0] == runs[1] == runs[2]:
            verdict = "identical"
        elif ok and runs[1] == runs[2]:
            verdict = "identical from the 2nd (depends on the previous request)"
        else:
            verdict = "DIFFERENT" if ok else "FAILED"
            failed = True
        seen[label] = runs[1][:1]
        info = json.loads(answers[0][1].get("info", "{}") or "{}")
        extra = {k: v for k, v in (info.get("extra_generation_params") or {}).items()
                 if k.startswith(("ControlNet", "ADetailer"))}
        print(f"{label}: HTTP {'/'.join(str(status) for status, _ in answers)}, {len(runs[0])} image(s) "
              f"{' / '.join(str(r) for r in runs)}: {verdict}" + (f"; {json.dumps(extra)[:300]}" if extra else ""))
    if seen.get("txt2img") == seen.get("txt2img + ControlNet unit"):
        print("ControlNet had NO effect (same pixels as without it)")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
