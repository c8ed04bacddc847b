"""Model file hashes in the ledger: kept per path with size and time, and filled into the runs whose
fingerprint recorded the file as pending."""

from __future__ import annotations

import json

import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.edits.file_hashes import record_file_hash
from paramlab.ledger.operations import RecordFileHash, WriteRun, operation_from_json, operation_to_line
from paramlab.ledger.reads.file_hashes import FileHash, known_file_hashes, runs_waiting_for
from paramlab.seeds.fingerprint import fingerprint_json

CHECKPOINT = "/models/Stable-diffusion/100% model_[x].safetensors"  # LIKE's wildcards in the path
SHA = "ab" * 32


def run_with(ledger: Ledger, model_sha256: dict) -> str:
    fingerprint = fingerprint_json({"rng_source": "GPU", "model_sha256": model_sha256})
    run = RunRecord(tab="txt2img", source="ui", fingerprint=fingerprint, images=[ImageRecord(index_in_run=0, seed=1)])
    with ledger.write() as conn:
        WriteRun(run).apply(conn)
    return run.run_uid


def fingerprint_of(ledger: Ledger, run_uid: str) -> dict:
    with ledger.engine.connect() as conn:
        text = conn.execute(sa.select(schema.runs.c.fingerprint).where(schema.runs.c.run_uid == run_uid)).scalar_one()
    return json.loads(text)


def test_a_hash_fills_exactly_the_runs_waiting_for_that_file(ledger: Ledger) -> None:
    pending = {"path": CHECKPOINT, "size": 10, "mtime": 1700000000.25}
    waiting = run_with(ledger, {"checkpoint": pending, "vae": "cd" * 32})
    older_file = run_with(ledger, {"checkpoint": {**pending, "mtime": 1600000000.5}})  # the file changed since
    other_file = run_with(ledger, {"checkpoint": {"path": "/models/other 100% model_[x].safetensors", "size": 10,
                                                  "mtime": 1700000000.25}})
    assert set(runs_waiting_for(ledger, CHECKPOINT)) == {waiting, older_file}

    filled = record_file_hash(ledger, FileHash(CHECKPOINT, 10, 1700000000.25, SHA))

    assert filled == 1
    assert fingerprint_of(ledger, waiting)["model_sha256"] == {"checkpoint": SHA, "vae": "cd" * 32}
    assert fingerprint_of(ledger, waiting)["rng_source"] == "GPU"
    assert fingerprint_of(ledger, older_file)["model_sha256"]["checkpoint"]["mtime"] == 1600000000.5
    assert isinstance(fingerprint_of(ledger, other_file)["model_sha256"]["checkpoint"], dict)
    assert known_file_hashes(ledger) == {CHECKPOINT: FileHash(CHECKPOINT, 10, 1700000000.25, SHA)}


def test_a_file_hashed_again_replaces_its_row(ledger: Ledger) -> None:
    record_file_hash(ledger, FileHash(CHECKPOINT, 10, 1.0, SHA))
    record_file_hash(ledger, FileHash(CHECKPOINT, 11, 2.0, "ef" * 32))
    assert known_file_hashes(ledger)[CHECKPOINT] == FileHash(CHECKPOINT, 11, 2.0, "ef" * 32)


def test_the_writer_operation_round_trips_the_spill_file_and_fills_the_run(ledger: Ledger) -> None:
    waiting = run_with(ledger, {"lora:x": {"path": CHECKPOINT, "size": 3, "mtime": 5.5}})
    operation = operation_from_json(json.loads(operation_to_line(RecordFileHash(CHECKPOINT, 3, 5.5, SHA))))
    assert operation == RecordFileHash(CHECKPOINT, 3, 5.5, SHA)
    with ledger.write() as conn:
        operation.apply(conn)
        operation.apply(conn)  # idempotent
    assert fingerprint_of(ledger, waiting)["model_sha256"] == {"lora:x": SHA}
