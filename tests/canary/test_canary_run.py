"""The canary against the stand-in WebUI over real HTTP, replaying from the ledger alone: six pinned images
(txt2img, img2img, ControlNet) all come out identical; after Settings → RNG source changes every one drifts and
names it; a removed ControlNet model is refused by name; an interrupted run resumes without rendering an image
twice; every report is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from canary_standin import CanaryHost
from modules import shared

from paramlab.canary.report import report_text
from paramlab.canary.run import CanaryRun, CanarySettings, CanaryUsageError
from paramlab.ledger.edits.canary import pin_images
from paramlab.ledger.reads.canary import report_history
from paramlab.replay.client import RenderedImage, WebuiClient, WebuiError


@pytest.fixture
def host(tmp_path: Path):
    made = CanaryHost(tmp_path)
    pin_images(made.ledger, made.image_ids, "tester", "house style")
    yield made
    shared.opts.set("randn_source", "GPU")
    made.close()


def canary(host: CanaryHost, client: WebuiClient | None = None, **settings) -> CanaryRun:
    return CanaryRun(host.ledger, client or WebuiClient(host.webui.url), CanarySettings(progress=False, **settings))


def test_six_pinned_images_come_out_identical(host: CanaryHost) -> None:
    report = canary(host).run()
    assert report.status == "finished" and report.drifted == 0 and report.total == 6
    assert [result.outcome for result in report.results] == ["identical"] * 6
    assert [endpoint for endpoint, _ in host.webui.renders] == ["txt2img"] * 3 + ["img2img"] * 2 + ["txt2img"]
    assert "controlnet" in {title.lower() for title in host.webui.renders[5][1]["alwayson_scripts"]}
    assert all(result.seconds and result.seconds > 0 for result in report.results)
    text = report_text(report)
    assert "6 identical; 0 drifted." in text and "SSIM tolerance 0.995" in text and "beyond 1.25×" in text


def test_a_changed_rng_source_drifts_every_image_and_is_named(host: CanaryHost) -> None:
    shared.opts.set("randn_source", "CPU")
    report = canary(host).run()
    assert [result.outcome for result in report.results] == ["different"] * 6 and report.drifted == 6
    for result in report.results:
        causes = [change["text"] for change in result.fingerprint_changes if change["cause"]]
        assert causes == ["RNG source: GPU → CPU"]
    lines = report_text(report).splitlines()[1:7]
    assert all(line.startswith(f"image {image_id}: different (mean ") and "RNG source: GPU → CPU" in line
               for image_id, line in zip(host.image_ids, lines))


def test_a_removed_controlnet_model_is_refused_by_name_before_rendering(host: CanaryHost,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    model = host.controlnet.MODELS[0]
    monkeypatch.setattr(host.controlnet, "MODELS", host.controlnet.MODELS[1:])
    report = canary(host).run()
    refused = report.results[5]
    assert refused.outcome == "refused" and model in refused.message
    assert len(host.webui.renders) == 5 and report.drifted == 1
    assert f"image {host.image_ids[5]}: refused — ControlNet model {model} is not installed" in report_text(report)


def test_the_canary_reads_the_models_as_paramlab_there_does_not_a_stale_list(host: CanaryHost,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Forge's /controlnet/model_list is the list scanned at start: a model removed since is still in it."""
    stale, model = host.controlnet.model_list(), host.controlnet.MODELS[0]
    monkeypatch.setattr(host.controlnet, "MODELS", host.controlnet.MODELS[1:])
    monkeypatch.setattr(host.controlnet, "model_list", lambda: stale)
    report = canary(host).run()
    assert report.results[5].outcome == "refused" and model in report.results[5].message
    host.webui.inventory = None  # an older ParamLab: the WebUI's own routes, stale list and all
    assert WebuiClient(host.webui.url).inventory().extension_models["ControlNet"] == stale["model_list"]


class InterruptingClient(WebuiClient):
    """Ctrl-C while the third image renders (in the canary's process, as a user's Ctrl-C is)."""

    def __init__(self, url: str, after: int):
        super().__init__(url)
        self.after, self.calls = after, 0

    def render(self, request) -> RenderedImage:
        if self.calls == self.after:
            raise KeyboardInterrupt
        self.calls += 1
        return super().render(request)


def test_an_interrupted_run_resumes_without_rendering_an_image_twice(host: CanaryHost) -> None:
    first = canary(host, InterruptingClient(host.webui.url, after=2)).run()
    assert first.status == "interrupted" and len(first.results) == 2
    assert "run it again to resume" in report_text(first)
    resumed = canary(host).run()  # a plain rerun over the same pins resumes
    assert resumed.id == first.id and resumed.status == "finished" and len(resumed.results) == 6
    seeds = host.rendered_seeds()
    assert sorted(seeds) == [11, 12, 13, 21, 22, 31] and len(seeds) == len(set(seeds))
    again = canary(host).run()  # finished: a new report
    assert again.id != first.id and len(host.webui.renders) == 12
    assert [report.id for report in report_history(host.ledger)] == [again.id, first.id]


def test_resume_asks_for_an_interrupted_report(host: CanaryHost) -> None:
    with pytest.raises(CanaryUsageError, match="no interrupted canary report"):
        canary(host, resume=True).run()


def test_a_login_refused_says_so(tmp_path: Path) -> None:
    guarded = CanaryHost(tmp_path, auth="studio:s3cret")
    try:
        pin_images(guarded.ledger, guarded.image_ids[:1], "tester")
        with pytest.raises(WebuiError, match="401 Unauthorized: it asks for a login: add --auth"):
            canary(guarded).run()
        with pytest.raises(WebuiError, match="the login given with --auth was refused"):
            canary(guarded, WebuiClient(guarded.webui.url, "studio:wrong")).run()
        assert report_history(guarded.ledger) == []  # nothing started before the WebUI answered
        report = canary(guarded, WebuiClient(guarded.webui.url, "studio:s3cret")).run()
        assert [result.outcome for result in report.results] == ["identical"]
    finally:
        guarded.close()


def test_an_older_paramlab_without_the_fingerprint_route(tmp_path: Path) -> None:
    older = CanaryHost(tmp_path, fingerprint=None)
    try:
        pin_images(older.ledger, older.image_ids[:2], "tester")
        report = canary(older).run()
        assert [result.outcome for result in report.results] == ["identical"] * 2
        assert "Fingerprint not compared" in report_text(report) and "older than this one" in report_text(report)
    finally:
        older.close()


def test_an_unreachable_webui_is_named(host: CanaryHost) -> None:
    host.webui.stop()
    with pytest.raises(WebuiError, match="could not reach the WebUI"):
        canary(host).run()


def test_a_slower_render_on_the_same_device_is_flagged_but_not_drift(host: CanaryHost) -> None:
    report = canary(host, slowdown_factor=0.001).run()  # any render is "slower" than a thousandth of its time
    assert report.drifted == 0 and all(result.outcome == "identical" for result in report.results)
    assert all("× slower (" in result.message and "s recorded)" in result.message for result in report.results)
