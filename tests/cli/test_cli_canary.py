"""``python -m paramlab canary`` against the stand-in WebUI over HTTP: pin, list, unpin, run (exit 0 when all is
identical, 1 naming what drifted, 2 for a usage error) and history."""

from __future__ import annotations

from pathlib import Path

import pytest
from canary_standin import CanaryHost
from modules import shared

from paramlab.cli import main
from paramlab.webui import runtime


@pytest.fixture
def host(tmp_path: Path):
    made = CanaryHost(tmp_path, auth="studio:s3cret")
    yield made
    shared.opts.set("randn_source", "GPU")
    made.close()


def canary(*args: str) -> int:
    return main(["--db", runtime.ledger_url().render_as_string(hide_password=False), "canary", *args])


def test_pin_list_unpin(host: CanaryHost, capsys: pytest.CaptureFixture) -> None:
    first, second = host.image_ids[:2]
    assert canary("pin", str(first), str(second), "--note", "house style") == 0
    assert "pinned 2 new image(s)" in capsys.readouterr().err
    assert canary("pin", str(first)) == 0 and "1 were pinned already" in capsys.readouterr().err
    assert canary("pin", "9999") == 2 and "no image 9999" in capsys.readouterr().err
    assert canary("list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in listed] == [str(first), str(second)] and "— house style" in listed[0]
    assert "(command line)" in listed[0]
    assert canary("unpin", str(second)) == 0 and canary("list") == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_run_exits_0_then_1_naming_the_rng_source_and_keeps_the_history(host: CanaryHost,
                                                                        capsys: pytest.CaptureFixture) -> None:
    run = ["run", "--webui", host.webui.url, "--auth", "studio:s3cret", "--quiet"]
    assert canary("run", *run[1:]) == 2 and "no image is pinned" in capsys.readouterr().err
    assert canary("pin", *map(str, host.image_ids)) == 0
    assert canary(*run) == 0
    assert "6 identical; 0 drifted." in capsys.readouterr().out
    shared.opts.set("randn_source", "CPU")
    assert canary(*run, "--ssim-tolerance", "0.99") == 1
    out = capsys.readouterr().out
    assert "SSIM tolerance 0.99," in out and "6 different; 6 drifted." in out
    assert all(f"image {image_id}: different (mean " in out for image_id in host.image_ids)
    assert out.count("RNG source: GPU → CPU") == 6
    assert canary("history", "--last", "1") == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 1 and "6 drifted" in history[0]
    assert canary("history") == 0 and len(capsys.readouterr().out.splitlines()) == 2


def test_run_usage_and_login_errors(host: CanaryHost, capsys: pytest.CaptureFixture) -> None:
    assert canary("pin", str(host.image_ids[0])) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        canary("run", "--webui", host.webui.url, "--auth", "no-colon")
    assert usage.value.code == 2 and "user:password" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        canary("run", "--webui", host.webui.url, "--ssim-tolerance", "1.5")
    assert usage.value.code == 2
    capsys.readouterr()
    assert canary("run", "--webui", host.webui.url, "--quiet") == 1
    assert "answered 401 Unauthorized: it asks for a login: add --auth" in capsys.readouterr().err
    assert canary("run", "--webui", host.webui.url, "--resume", "--quiet") == 2
    assert "no interrupted canary report to resume" in capsys.readouterr().err
