"""Loading the ledger into the analysis frame, with and without the v5 quality tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from paramlab.analysis import FRAME_COLUMNS, analyse, load_frame
from paramlab.ledger import ImageRecord, RunRecord
from paramlab.ledger.filters import ImageFilter

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def fill(ledger, count: int = 12) -> None:
    """Two models, two samplers; the last image of each run was interrupted."""
    runs = []
    for run in range(4):
        model, sampler = ("aaa111", "Euler a") if run < 2 else ("bbb222", "DPM++ 2M")
        images = [
            ImageRecord(
                index_in_run=i, created_at=T0 + timedelta(hours=run, seconds=i), seed=100 + i, prompt="a cat",
                model_name=f"model-{model}", model_hash=model, sampler=sampler, scheduler="Karras",
                steps=20 + 10 * (run % 2), cfg_scale=7.0, width=512, height=512,
                hires_enabled=run == 3, hires_scale=1.5 if run == 3 else None, cost_seconds=1.0 + run,
                model_evaluations=20 + 10 * (run % 2), energy_joules=100.0 * (run + 1),
                profile="Balanced" if run == 0 else None, series="hero" if run == 1 else None,
                status="interrupted" if i == count // 4 - 1 else "ok",
            )
            for i in range(count // 4)
        ]
        runs.append(RunRecord(tab="txt2img", source="ui", started_at=T0 + timedelta(hours=run), images=images))
    ledger.write_runs(runs)


def test_loads_every_column(ledger) -> None:
    fill(ledger)
    df = load_frame(ledger)
    assert list(df.columns[: len(FRAME_COLUMNS)]) == list(FRAME_COLUMNS)
    assert len(df) == 8  # 12 images, 4 interrupted left out
    row = df.iloc[0]
    assert (row["model_hash"], row["sampler"], row["steps"], row["cfg_scale"]) == ("aaa111", "Euler a", 20, 7.0)
    assert row["cost_seconds"] == 1.0 and row["energy_joules"] == 100.0 and row["profile"] == "Balanced"
    assert df["hires_enabled"].dtype == bool and df["hires_enabled"].sum() == 2
    assert df["sharpness"].isna().all() and df["rating"].isna().all()
    assert len(load_frame(ledger, ImageFilter())) == 12


def test_ledgers_without_ratings_or_metrics_load_nan(ledger) -> None:
    """A ledger from before schema v5 (no ``images.rating``, no ``image_metrics``) still loads."""
    fill(ledger)
    with ledger.engine.begin() as conn:
        if sa.inspect(conn).has_table("image_metrics"):
            conn.exec_driver_sql("DROP TABLE image_metrics")
        if "rating" in {c["name"] for c in sa.inspect(conn).get_columns("images")}:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_images_rating")
            conn.exec_driver_sql("ALTER TABLE images DROP COLUMN rating")
    df = load_frame(ledger)
    assert len(df) == 8 and list(df.columns) == list(FRAME_COLUMNS)
    assert df["rating"].isna().all() and df["sharpness"].isna().all()
    assert analyse(df, "cost_seconds", "composite").groups[0].recommendation.status == "not enough data"


def test_filters_and_limit(ledger) -> None:
    fill(ledger)
    assert set(load_frame(ledger, ImageFilter(model="bbb222", status="ok"))["model_hash"]) == {"bbb222"}
    assert len(load_frame(ledger, ImageFilter(sampler=("Euler a", "DPM++ 2M"), status="ok"))) == 8
    assert len(load_frame(ledger, ImageFilter(profile="Balanced", status="ok"))) == 2
    assert len(load_frame(ledger, ImageFilter(series="hero", status="ok"))) == 2
    window = load_frame(ledger, ImageFilter(created_from=T0 + timedelta(hours=1),
                                                created_to=T0 + timedelta(hours=3), status="ok"))
    assert sorted(set(window["cost_seconds"])) == [2.0, 3.0]
    newest = load_frame(ledger, limit=3)
    assert len(newest) == 3 and newest["id"].is_monotonic_decreasing
    assert load_frame(ledger, ImageFilter(model="nope")).empty


def _add_quality_tables(ledger) -> None:
    """Schema v5's ``images.rating`` and ``image_metrics``, added only when the migration did not."""
    with ledger.engine.begin() as conn:
        inspector = sa.inspect(conn)
        if "rating" not in {c["name"] for c in inspector.get_columns("images")}:
            conn.exec_driver_sql("ALTER TABLE images ADD COLUMN rating INTEGER")
        if not inspector.has_table("image_metrics"):
            conn.exec_driver_sql(
                "CREATE TABLE image_metrics (image_id INTEGER NOT NULL, metric VARCHAR(64) NOT NULL, "
                "value FLOAT, not_measured TEXT, metric_version VARCHAR(32) NOT NULL, "
                "PRIMARY KEY (image_id, metric))"
            )


def test_pivots_metrics_and_reads_ratings_when_present(ledger) -> None:
    fill(ledger)
    _add_quality_tables(ledger)
    with ledger.engine.begin() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM images WHERE status = 'ok' ORDER BY id")]
        conn.execute(sa.text("UPDATE images SET rating = 4 WHERE id = :id"), {"id": ids[0]})
        rows = [(i, "sharpness", 99.0 if n == 0 else 10.0 + n, "1") for n, i in enumerate(ids)]
        rows += [(ids[1], "aesthetic", 6.5, "1"), (ids[2], "noise", None, "1")]  # noise: not measured
        conn.execute(
            sa.text("INSERT INTO image_metrics (image_id, metric, value, metric_version) VALUES (:i, :m, :v, :ver)"),
            [{"i": i, "m": m, "v": v, "ver": ver} for i, m, v, ver in rows],
        )
    df = load_frame(ledger)
    assert df.loc[0, "rating"] == 4 and df["rating"].isna().sum() == len(df) - 1
    assert df.loc[0, "sharpness"] == 99.0 and df.loc[1, "sharpness"] == 11.0
    assert "aesthetic" in df.columns and df.loc[1, "aesthetic"] == 6.5 and np.isnan(df.loc[0, "aesthetic"])
    assert df["noise"].isna().all()
    limited = load_frame(ledger, limit=2)
    assert limited["sharpness"].tolist() == [10.0 + len(ids) - 1, 10.0 + len(ids) - 2]


def test_loaded_frame_feeds_the_analysis(ledger) -> None:
    fill(ledger, count=24)
    _add_quality_tables(ledger)
    with ledger.engine.begin() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id, steps FROM images ORDER BY id")]
        conn.execute(
            sa.text("INSERT INTO image_metrics (image_id, metric, value, metric_version) "
                    "VALUES (:i, 'sharpness', :v, '1')"),
            [{"i": i, "v": float(i % 7)} for i in ids],
        )
    report = analyse(load_frame(ledger), "cost_seconds", "sharpness")
    assert [g.group["model_hash"] for g in report.groups] == ["aaa111", "bbb222"]
    assert all(len(g.summaries) == 2 for g in report.groups)
    assert report.groups[0].recommendation.status == "ok"
