"""A ledger holding a finished A/B test, as the script leaves it: one image per (variant, prompt, seed)."""

from __future__ import annotations

import json

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.reads.abtest import TEST_KEY, VARIANT_KEY

COSTS = {"Fast draft": 1.24, "Careful": 2.0}


def fill_abtest(ledger: Ledger, name: str = "night test", prompts: tuple[str, ...] = ("a lighthouse", "a sailor"),
                seeds: tuple[int, ...] = (11, 12, 13), costs: dict[str, float] | None = None,
                thumbnail: str | None = None) -> None:
    costs = costs or COSTS
    runs = []
    for prompt in prompts:
        for seed in seeds:
            for variant, cost in costs.items():
                run = RunRecord(tab="txt2img", source="script", script_name="ParamLab A/B test", batch_count=1,
                                batch_size=1, wall_seconds=cost, status="ok")
                run.images = [ImageRecord(
                    index_in_run=0, seed=seed, prompt=prompt, sampler="Euler", steps=4, width=64, height=64,
                    cost_seconds=cost, thumbnail_path=thumbnail, profile=variant,
                    extra_params=json.dumps({TEST_KEY: name, VARIANT_KEY: variant}, ensure_ascii=False,
                                            sort_keys=True))]
                runs.append(run)
    ledger.write_runs(runs)


def record_definition(ledger: Ledger, name: str = "night test", seeds: tuple[int, ...] = (11, 12, 13),
                      prompts: tuple[str, ...] = ("a lighthouse", "a sailor")) -> None:
    """The job row the script writes, holding the test's definition (the winner's settings come from it)."""
    import uuid

    from paramlab.abtest.spec import SCRIPT_TITLE, parse_abtest_args
    from paramlab.ledger import schema
    from paramlab.ledger.records import utc_now

    definition = parse_abtest_args({"name": name, "prompts": list(prompts), "seeds": list(seeds), "variants": [
        {"name": "Fast draft", "settings": {"Steps": 12, "CFG scale": 5}},
        {"name": "Careful", "settings": {"Steps": 30}}]})
    with ledger.write() as conn:
        conn.execute(schema.jobs.insert().values(
            job_uid=str(uuid.uuid4()), started_at=utc_now(), tab="txt2img", source="ui", kind="script",
            script_name=SCRIPT_TITLE, script_args=definition.to_json(), status="ok", run_count=0, image_count=0))


def store_previews(ledger: Ledger, name: str = "night test", fmt: str = "JPEG") -> dict[int, bytes]:
    """A preview in the ledger for every image of the test, a different colour per image; a PNG carries the
    image's variant in a text chunk, the way A1111 writes infotext into its files. Returns them by image id."""
    import io

    from PIL import Image, PngImagePlugin

    from paramlab.ledger import schema
    from paramlab.ledger.reads.abtest import abtest_images

    previews = {}
    for number, image in enumerate(abtest_images(ledger, name)):
        picture = Image.new("RGB", (64, 64), (40 * number % 256, 200 if image.variant == "Careful" else 30, 90))
        buffer = io.BytesIO()
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_text("parameters", f"{image.prompt}\nSteps: 4, {VARIANT_KEY}: {image.variant}")
            picture.save(buffer, format="PNG", pnginfo=info)
        else:
            picture.save(buffer, format=fmt)
        previews[image.id] = buffer.getvalue()
    with ledger.write() as conn:
        for image_id, data in previews.items():
            conn.execute(schema.image_thumbnails.insert().values(
                image_id=image_id, media_type=f"image/{fmt.lower()}", width=64, height=64, data=data))
    return previews
