"""A ledger run with input images and other extensions' settings, written the way the writer writes them
(prepared first, then applied), for the route, tab and filter tests of issue 20."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import InputStorage

CONTROLNET_VALUES = [("ControlNet", "unit 0 model", "control_v11p_sd15_openpose [cab727d4]"),
                     ("ControlNet", "unit 0 weight", "1.0")]


def pose(colour: tuple[int, int, int] = (20, 180, 40), size: tuple[int, int] = (40, 30)) -> Image.Image:
    return Image.new("RGB", size, colour)


def record_run_with_inputs(
    ledger: Ledger, inputs: list[InputRecord] | None = None, values: list[tuple[str, str, str]] | None = None, *,
    tab: str = "txt2img", storage: InputStorage | None = None, **image_values: Any,
) -> tuple[int, int, RecordRunInputs]:
    """(run id, image id, the applied operation): one image whose run used a ControlNet pose image (default)."""
    run = RunRecord(tab=tab, source="ui", images=[ImageRecord(index_in_run=0, seed=7, steps=20, **image_values)])
    ledger.write_runs([run])
    if inputs is None:
        inputs = [InputRecord("ControlNet unit 0", "control", 0, "ControlNet/args/0/image", image=pose())]
    operation = RecordRunInputs(run.run_uid, inputs, {"scripts": {"ControlNet": {"args": [
        {"image": {"paramlab_input": 0}}]}}}, CONTROLNET_VALUES if values is None else values)
    operation.prepare(storage or InputStorage())
    with ledger.write() as conn:
        operation.apply(conn)
        run_id = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.run_uid == run.run_uid)).scalar_one()
        image_id = conn.execute(sa.select(schema.images.c.id).where(schema.images.c.run_id == run_id)).scalar_one()
    return run_id, image_id, operation
