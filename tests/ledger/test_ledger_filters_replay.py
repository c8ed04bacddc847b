"""The filter's two issue-20 fields: another extension's setting (``ControlNet:unit 0 model=control_x``, the value
any part in any case) and the run's replay verdict, read from strings like every other filter and selecting on
both databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.filters import FilterError, ImageFilter, extension_setting
from paramlab.ledger.input_records import RecordRunInputs
from paramlab.ledger.input_store import InputStorage
from paramlab.ledger.reads.images import image_ids


@pytest.mark.parametrize(("params", "message"), [
    ({"extension": "ControlNet unit 0 model"}, "extension 'ControlNet unit 0 model' cannot be read; write it as "
                                               "<script>:<name>=<value>"),
    ({"extension": "ControlNet:unit 0 model"}, "cannot be read"),
    ({"extension": ":unit 0 model=x"}, "cannot be read"),
    ({"extension": "ControlNet:=x"}, "cannot be read"),
    ({"replay": "perfect"}, "replay 'perfect' is not a verdict; use one of exact, approximate, not_replayable"),
])
def test_bad_extension_or_replay_parameters_are_refused_by_name(params: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match="^ParamLab: ") as raised:
        ImageFilter.from_params(params)
    assert message in str(raised.value)


def test_the_fields_read_and_write_back_and_are_checked_when_built_directly() -> None:
    filt = ImageFilter.from_params({"extension": " ControlNet:unit 0 model=control_x ", "replay": "approximate"})
    assert (filt.extension, filt.replay) == ("ControlNet:unit 0 model=control_x", "approximate")
    assert ImageFilter.from_params(filt.params()) == filt
    assert extension_setting("ADetailer:ad_model=face_yolov8n.pt:v2") == ("ADetailer", "ad_model", "face_yolov8n.pt:v2")
    assert extension_setting("ControlNet:unit 0 model=") == ("ControlNet", "unit 0 model", "")
    with pytest.raises(FilterError, match="extension 'nonsense'"):
        ImageFilter(extension="nonsense")
    with pytest.raises(FilterError, match="replay 'maybe'"):
        ImageFilter(replay="maybe")
    assert ImageFilter(extension="  ", replay="") == ImageFilter()


def run_with(ledger: Ledger, values: list[tuple[str, str, str]], verdict: str | None) -> int:
    run = RunRecord(tab="txt2img", source="ui", images=[ImageRecord(index_in_run=0, seed=1, steps=20)])
    ledger.write_runs([run])
    operation = RecordRunInputs(run.run_uid, [], {}, values)
    operation.prepare(InputStorage())
    with ledger.write() as conn:
        operation.apply(conn)
        run_id = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.run_uid == run.run_uid)).scalar_one()
        # the verdict rule is the replay's (it ran in apply): set the verdict directly, None = not judged yet
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(replay_verdict=verdict))
        return conn.execute(sa.select(schema.images.c.id).where(schema.images.c.run_id == run_id)).scalar_one()


def test_extension_settings_and_verdicts_select_on_both_databases(ledger: Ledger) -> None:
    openpose = run_with(ledger, [("ControlNet", "unit 0 model", "control_v11p_sd15_openpose [cab727d4]"),
                                 ("ControlNet", "unit 0 weight", "1.0")], "exact")
    depth = run_with(ledger, [("ControlNet", "unit 0 model", "control_v11f1p_sd15_depth [cfd03158]")], "approximate")
    adetailer = run_with(ledger, [("ADetailer", "ad_model", "face_yolov8n.pt")], "not_replayable")
    plain = run_with(ledger, [], None)

    def ids(**fields: Any) -> set[int]:
        return set(image_ids(ledger, ImageFilter(**fields)))

    assert ids(extension="ControlNet:unit 0 model=openpose") == {openpose}
    assert ids(extension="controlnet:UNIT 0 MODEL=OpenPose") == {openpose}  # script, name, value: any case
    assert ids(extension="ControlNet:unit 0 model=") == {openpose, depth}  # empty value: any value
    assert ids(extension="ControlNet:unit 0 model=sd15") == {openpose, depth}
    assert ids(extension="ControlNet:unit 1 model=sd15") == set()
    assert ids(extension="ADetailer:ad_model=face") == {adetailer}
    assert ids(extension="ControlNet:unit 0 model=100%") == set()  # LIKE's wildcards are plain characters
    assert ids(replay="exact") == {openpose} and ids(replay="approximate") == {depth}
    assert ids(replay="not_replayable") == {adetailer}
    assert ids(replay="exact", extension="ControlNet:unit 0 model=depth") == set()
    assert ids() == {openpose, depth, adetailer, plain}
