"""Loading the real ``scripts/paramlab.py`` into the A1111 stand-in, and reading what it recorded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from host_fixture import reset_host
from modules import script_callbacks, script_loading, scripts

from paramlab.ledger import Ledger

REPO = Path(__file__).resolve().parents[2]
# The image measures run in an idle-priority child: on a machine busy with other work they wait, so
# the tests give the writer time to drain instead of failing on a loaded CI runner.
DRAIN_SECONDS = 60


class LoadedExtension:
    """The extension as A1111 loads it: script file run as a module, settings registered."""

    def __init__(self, data_dir: Path, ledger: str | None = None):
        """``ledger``: a file path or database URL, as ``--paramlab-db`` (default: the data dir's file)."""
        reset_host(data_dir)
        self.data_dir = data_dir
        if ledger is not None:
            from modules import shared

            shared.cmd_opts.paramlab_db = ledger
        module = script_loading.load_module(str(REPO / "scripts" / "paramlab.py"))
        self.script_class = module.ParamLabScript
        self.extras_class = module.ParamLabExtras
        self.abtest_class = module.ParamLabABTest
        script_callbacks.ui_settings_callback()

    def runner(self, *extra_classes: type, is_img2img: bool = False) -> scripts.ScriptRunner:
        return scripts.build_runner([self.script_class, *extra_classes], is_img2img=is_img2img)

    def extras_runner(self, *extra_classes: type) -> Any:
        """The Extras tab's runner with A1111's Upscale (stand-in) and ParamLab's postprocessing script."""
        from host_fixture import register_postprocessing

        return register_postprocessing(self.extras_class, *extra_classes)

    def rows(self) -> list[dict[str, Any]]:
        """Every image row, oldest first, after the background writer has finished."""
        from paramlab.webui import runtime

        assert runtime.get_writer().flush(DRAIN_SECONDS), "the ledger writer did not drain"
        ledger = Ledger.open(runtime.ledger_url())
        try:
            return list(ledger.iter_images())
        finally:
            ledger.close()

    def images_with_thumbnails(self) -> set[int]:
        """Ids of the images whose thumbnail is kept in the ledger."""
        from paramlab.ledger import schema
        from paramlab.webui import runtime

        assert runtime.get_writer().flush(DRAIN_SECONDS)
        ledger = Ledger.open(runtime.ledger_url())
        try:
            with ledger.engine.connect() as conn:
                return set(conn.execute(schema.image_thumbnails.select().with_only_columns(
                    schema.image_thumbnails.c.image_id)).scalars())
        finally:
            ledger.close()

    def runs(self) -> list[dict[str, Any]]:
        return self.table("runs")

    def jobs(self) -> list[dict[str, Any]]:
        """Every job row, after the jobs whose request is over were closed (their p collected)."""
        import gc

        gc.collect()
        return self.table("jobs")

    def table(self, name: str) -> list[dict[str, Any]]:
        return ledger_table(name)

    def close(self) -> None:
        from paramlab.webui import jobs, runtime, script, seed_panel

        runtime.shutdown()
        jobs.OPEN_JOBS.clear()
        script.ACTIVE_RUNS.clear()
        script._reported_faults.clear()
        seed_panel.LATEST_PANELS.clear()


def ledger_table(name: str) -> list[dict[str, Any]]:
    """The table as the extension's ledger holds it now: the writer drained, no garbage collection first."""
    from paramlab.ledger import schema
    from paramlab.webui import runtime

    assert runtime.get_writer().flush(DRAIN_SECONDS)
    ledger = Ledger.open(runtime.ledger_url())
    try:
        table = schema.metadata.tables[name]
        with ledger.engine.connect() as conn:
            order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)  # run_inputs: no id
            return [dict(r._mapping) for r in conn.execute(table.select().order_by(*order))]
    finally:
        ledger.close()


def wait_until_jobs_close(seconds: float = 10.0) -> None:
    """Wait (polling, never judging time) until no press of Generate is open: a job ends when A1111 ends its
    request, a moment after ``process_images`` returns. The test then checks what the ledger holds."""
    from paramlab.webui import jobs

    deadline = time.monotonic() + seconds
    while jobs.OPEN_JOBS and time.monotonic() < deadline:
        time.sleep(0.05)
