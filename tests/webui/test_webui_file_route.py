"""The WebUI's own ``/file=`` route never hands out ParamLab's ledger (issue 18, item 0, inside A1111).

gradio 3.41 serves any file under the folder the WebUI started from, and the default ledger lives there:
in the real A1111 v1.10.1 a ledger in the WebUI's folder answered 200 to ``GET /file=<ledger>``.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from modules import script_callbacks, shared
from modules.api import api
from webui_support import LoadedExtension

from paramlab.gradio_compat import GRADIO_MAJOR


@pytest.fixture
def webui_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The WebUI's folder, its working directory as A1111 runs (its data dir too)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("where", ["default", "--paramlab-db beside the WebUI"])
def test_the_webuis_file_route_refuses_the_ledger_and_its_side_files(webui_folder: Path, where: str) -> None:
    ledger = None if where == "default" else str(webui_folder / "team.sqlite")
    extension = LoadedExtension(webui_folder, ledger=ledger)
    try:
        shared.cmd_opts.api_auth = None
        api.text2imgapi(extension.runner(), {"prompt": "secret prompt", "seed": 3, "width": 64, "height": 64})
        extension.rows()
        ledger_file = Path(ledger) if ledger else webui_folder / "paramlab" / "ledger.sqlite"
        assert ledger_file.exists()
        (webui_folder / "notes.txt").write_text("a file of the WebUI's folder")

        with gr.Blocks() as demo:
            gr.Markdown("page")
        demo.blocked_paths, demo.allowed_paths = [], []  # what launch() sets
        app = gr.routes.App.create_app(demo)
        script_callbacks.app_started_callback(demo, app)
        client = TestClient(app)

        for hidden in (ledger_file, ledger_file.with_name(ledger_file.name + "-wal")):
            for asked in (str(hidden), str(hidden.relative_to(webui_folder))):
                response = client.get(f"/file={asked}")
                assert response.status_code == 403, (asked, response.status_code)
                assert b"secret prompt" not in response.content
        if GRADIO_MAJOR < 4:  # gradio 3 still serves the WebUI's own folder: ParamLab only took its files out
            assert client.get("/file=notes.txt").status_code == 200
        assert not demo.allowed_paths
    finally:
        extension.close()
