"""Settings → ParamLab: keeping input images (on by default, saying what is lost when off) and their size cap
reach the ledger writer, read when each run's inputs arrive."""

from __future__ import annotations

import pytest
from modules import shared
from PIL import Image

from paramlab.ledger import Ledger, RunRecord, schema
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import DEFAULT_MAX_MB, MEGABYTE, InputStorage
from paramlab.ledger.operations import StartRun


def rows(name: str) -> list[dict]:
    from paramlab.webui import runtime

    ledger = Ledger.open(runtime.ledger_url())
    try:
        with ledger.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(schema.metadata.tables[name].select())]
    finally:
        ledger.close()


@pytest.mark.usefixtures("extension")
def test_the_two_settings_are_registered_and_read_into_the_writers_config() -> None:
    from paramlab.webui import runtime

    keep, cap = shared.opts.data_labels["paramlab_keep_inputs"], shared.opts.data_labels["paramlab_input_max_mb"]
    assert keep.default is True and "replayed" in keep.label and "cannot be replayed" in keep.comment_after
    assert cap.default == DEFAULT_MAX_MB and "0 = no limit" in cap.label
    assert runtime.input_storage() == InputStorage(enabled=True, max_bytes=DEFAULT_MAX_MB * MEGABYTE)
    shared.opts.set("paramlab_input_max_mb", 0)
    assert runtime.input_storage().max_bytes == 0
    shared.opts.set("paramlab_input_max_mb", "lots")
    assert runtime.input_storage().max_bytes == DEFAULT_MAX_MB * MEGABYTE
    shared.opts.set("paramlab_keep_inputs", False)
    assert runtime.input_storage().enabled is False


@pytest.mark.usefixtures("extension")
def test_the_webuis_writer_follows_the_settings() -> None:
    from paramlab.webui import runtime

    writer = runtime.get_writer()
    for keep in (True, False):
        shared.opts.set("paramlab_keep_inputs", keep)
        run = RunRecord(tab="img2img", source="ui")
        writer.submit(StartRun(run))
        writer.submit(RecordRunInputs(run.run_uid, [InputRecord("img2img", "init", 0, None,
                                                                image=Image.new("RGB", (8, 8), "red"))], {}, []))
        assert writer.flush(10)
    kept, skipped = sorted(rows("run_inputs"), key=lambda row: row["run_id"])
    assert kept["sha256"] and kept["not_stored"] is None
    assert skipped["sha256"] is None and skipped["not_stored"] == "input storage is off"
    assert len(rows("input_blobs")) == 1
