"""``python -m paramlab abtest`` against a WebUI: the stand-in's real API flow behind a local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from modules.api import api
from webui_support import LoadedExtension

from paramlab.cli import main
from paramlab.profiles import Profile
from paramlab.webui import runtime


@pytest.fixture
def webui(tmp_path: Path):
    extension = LoadedExtension(tmp_path)
    runtime.profile_store().create(Profile(name="Fast draft", settings={"Steps": 2}))
    runner = extension.runner(extension.abtest_class)
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            bodies.append(body)
            answer = api.text2imgapi(runner, {key: value for key, value in body.items()
                                              if key not in ("send_images", "save_images")})
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    server.shutdown()
    extension.close()


def test_the_cli_runs_a_test_and_a_rerun_resumes_it(webui: tuple[str, list], capsys: pytest.CaptureFixture) -> None:
    url, bodies = webui
    argv = ["abtest", "--url", url, "--name", "cli test", "--variant", "Fast draft", "--variant",
            'Careful={"Steps": 4}', "--prompt", "a lighthouse", "--seeds", "2", "--width", "64", "--height", "64"]
    assert main(argv) == 0
    assert "4 new images; 0 cells were already" in capsys.readouterr().out
    assert bodies[0]["script_name"] == "ParamLab A/B test"
    assert bodies[0]["script_args"][0]["variants"][1] == {"name": "Careful", "settings": {"Steps": 4}}
    assert main(argv) == 0
    assert "0 new images; 4 cells were already in the ledger" in capsys.readouterr().out


def test_the_cli_reports_input_errors_before_and_from_the_webui(webui: tuple[str, list],
                                                                 capsys: pytest.CaptureFixture) -> None:
    url, bodies = webui
    assert main(["abtest", "--url", url, "--name", "t", "--variant", "A", "--variant", "B", "--prompt", "p",
                 "--seeds", "0"]) == 2
    assert "0 seeds" in capsys.readouterr().err and bodies == []  # refused before any request
    assert main(["abtest", "--url", url, "--name", "t", "--variant", "Fast draft", "--variant", "Nope",
                 "--prompt", "p", "--seeds", "1"]) == 2
    assert "Nope" in capsys.readouterr().err and len(bodies) == 1  # the WebUI knows its profiles
