"""An Extras upscale through the real WebUI's page (the lab), driven by Debian's Chromium: the saved PNG of
a ledger image is uploaded in Extras → Single Image, upscaled ×2 with Lanczos, and the ledger must then
hold one ``extras`` job from the UI, its output file, and the link to the image it came from.

Usage (a lab running with this extension): ``python lab_checks/lab_extras_ui_check.py LEDGER.sqlite``
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

BASE = "http://127.0.0.1:7860"


def rows(db: Path, query: str, *args: object) -> list[dict]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(query, args)]
    finally:
        connection.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    db = Path(sys.argv[1])
    body = {"prompt": "a knight", "steps": 4, "width": 64, "height": 64, "seed": 99, "save_images": True}
    request = urllib.request.Request(BASE + "/sdapi/v1/txt2img", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        uid = json.loads(json.loads(answer.read())["info"])["extra_generation_params"]["ParamLab"]["images"][0]
    time.sleep(2)
    [source] = rows(db, "SELECT id, image_path FROM images WHERE image_uid = ?", uid)
    before = {job["id"] for job in rows(db, "SELECT id FROM jobs")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(BASE, timeout=120_000)
        page.locator("#tabs button", has_text="Extras").first.click()
        page.locator("#extras_image input[type=file]").set_input_files(source["image_path"])
        page.locator("#extras_image img").first.wait_for(timeout=30_000)
        page.locator("#extras_upscaler_1 input").first.click()
        page.locator("ul.options li", has_text="Lanczos").first.click()
        resize = page.locator("#extras_upscaling_resize input[type=number]").first
        resize.fill("2")
        resize.press("Enter")
        page.locator("#extras_generate").first.click()
        page.locator("#extras_gallery img").first.wait_for(timeout=120_000)
        browser.close()
    for _ in range(50):
        jobs = [job for job in rows(db, "SELECT * FROM jobs WHERE kind = 'extras'") if job["id"] not in before]
        if jobs and jobs[0]["status"] == "ok":
            break
        time.sleep(0.3)
    [job] = jobs
    [image] = rows(db, "SELECT i.* FROM images i JOIN runs r ON i.run_id = r.id WHERE r.job_id = ?", job["id"])
    print(f"Extras job {job['id']} ({job['source']}, {job['status']}): {image['width']}×{image['height']}, "
          f"{image['cost_seconds']:.4f} s, file {image['image_path']}, source image {image['source_image_id']} "
          f"(the draft is {source['id']}), upscale {image['upscale']}")
    want = ("ui", source["id"], (128, 128))
    ok = (job["source"], image["source_image_id"], (image["width"], image["height"])) == want
    ok = ok and Path(image["image_path"] or "").is_file()
    print("Extras UI check:", "ok" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
