"""A canary report in words: one line per image, naming for each drifted image the fingerprint fields that
changed (``image 12: different (mean 3.1/255, 41 % of pixels) — RNG source: GPU → CPU``), then the totals."""

from __future__ import annotations

from collections import Counter

from paramlab.ledger.reads.canary import CanaryReport, CanaryResult

OUTCOME_WORDS = {"identical": "identical", "within_tolerance": "within tolerance", "different": "different",
                 "failed": "failed", "refused": "refused"}


def _figures(result: CanaryResult, tolerance: float | None) -> str:
    if result.outcome == "within_tolerance":
        return f" (SSIM {result.ssim:.4f} ≥ {tolerance})"
    if result.outcome == "different" and result.mean_abs_diff is not None:
        return (f" (mean {result.mean_abs_diff:.1f}/255, largest {result.max_abs_diff:.0f}/255, "
                f"{result.changed_pixel_share * 100:.0f} % of pixels, SSIM {result.ssim:.4f})")
    return ""


def causes_text(result: CanaryResult) -> str:
    """The changed fields recorded on both sides; then those only recorded now (never blamed)."""
    causes = [change["text"] for change in result.fingerprint_changes if change.get("cause")]
    newly = [change["label"] for change in result.fingerprint_changes
             if not change.get("cause") and change.get("recorded") in (None, "", {}, [])]
    parts = ["; ".join(causes) if causes else "no recorded fingerprint field changed"]
    if newly:
        parts.append(f"newly recorded: {', '.join(newly)}")
    return " — ".join(parts)


def result_line(result: CanaryResult, tolerance: float | None) -> str:
    name = f"image {result.image_id}" if result.image_id is not None else f"image {result.image_uid or '?'}"
    line = f"{name}: {OUTCOME_WORDS.get(result.outcome, result.outcome)}{_figures(result, tolerance)}"
    if result.outcome == "different":
        line += f" — {causes_text(result)}"
    if result.message:
        line += f" — {result.message}"
    return line


def report_text(report: CanaryReport) -> str:
    """The whole report as the CLI prints it."""
    factor = report.summary.get("slowdown_factor")
    lines = [f"ParamLab canary report {report.id} ({report.status}) against {report.webui_url}: "
             f"{report.total} pinned image(s), SSIM tolerance {report.ssim_tolerance}"
             + (f", slowdown flagged beyond {factor}×" if factor else "") + "."]
    if report.summary.get("fingerprint_unavailable"):
        lines.append(f"Fingerprint not compared: {report.summary['fingerprint_unavailable']}")
    lines += [result_line(result, report.ssim_tolerance) for result in report.results]
    counts = Counter(result.outcome for result in report.results)
    totals = ", ".join(f"{count} {OUTCOME_WORDS.get(outcome, outcome)}" for outcome, count in counts.items())
    lines.append(f"{totals or 'nothing checked'}; {report.drifted} drifted.")
    if report.status != "finished":
        left = report.total - len(report.results)
        lines.append(f"Stopped with {left} image(s) left ({report.summary.get('stopped') or report.status}); "
                     "run it again to resume.")
    return "\n".join(lines)


def history_line(report: CanaryReport) -> str:
    when = f"{report.started_at:%Y-%m-%d %H:%M}"
    return (f"report {report.id}  {when}  {report.status:<11}  {report.total} image(s), {report.drifted} drifted"
            f"  {report.webui_url or ''}")


__all__ = ["causes_text", "history_line", "report_text", "result_line"]
