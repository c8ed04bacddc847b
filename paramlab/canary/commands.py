"""``python -m paramlab canary pin|unpin|list|run|history``: the canary from a shell or a scheduler.

``run`` exits 0 when every pinned image came out identical or within the SSIM tolerance, 1 on any drift,
refusal or failure (or when it was interrupted), 2 when it cannot run as asked — so a studio can run it
after every update and stop on a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from paramlab.canary.judge import DEFAULT_SLOWDOWN_FACTOR, DEFAULT_SSIM_TOLERANCE
from paramlab.ledger import Ledger


def _tolerance(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("an SSIM tolerance is above 0 and at most 1 (e.g. 0.995)")
    return value


def _factor(text: str) -> float:
    value = float(text)
    if value < 1.0:
        raise argparse.ArgumentTypeError("a slowdown factor is at least 1 (e.g. 1.25)")
    return value


def _login(text: str) -> str:
    if ":" not in text:
        raise argparse.ArgumentTypeError("give the WebUI's --api-auth login as user:password")
    return text


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("canary", help="pinned images rendered again on a WebUI after an update, "
                                 "compared with their recorded files (exit 1 on any drift)")
    parser.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    actions = parser.add_subparsers(dest="action", required=True)
    pin = actions.add_parser("pin", help="add ledger images to the canary set")
    pin.add_argument("image_ids", metavar="ID", type=int, nargs="+")
    pin.add_argument("--note", default=None, help="why these images (e.g. 'house style portrait')")
    actions.add_parser("unpin", help="take images out of the canary set").add_argument(
        "image_ids", metavar="ID", type=int, nargs="+")
    actions.add_parser("list", help="the pinned images")
    run = actions.add_parser("run", help="render every pinned image again through a WebUI's API and compare")
    run.add_argument("--webui", metavar="URL", required=True, help="the WebUI, e.g. http://127.0.0.1:7860 "
                     "(started with --api)")
    run.add_argument("--auth", metavar="USER:PASSWORD", type=_login, default=None, help="the WebUI's --api-auth login")
    run.add_argument("--ssim-tolerance", type=_tolerance, default=DEFAULT_SSIM_TOLERANCE,
                     help=f"a changed image at or above this SSIM counts as within tolerance "
                     f"(default {DEFAULT_SSIM_TOLERANCE})")
    run.add_argument("--slowdown-factor", type=_factor, default=DEFAULT_SLOWDOWN_FACTOR,
                     help=f"flag a render slower than this many times its recorded time on the same device "
                     f"(default {DEFAULT_SLOWDOWN_FACTOR}; reported, not counted as drift)")
    run.add_argument("--resume", action="store_true", help="continue the interrupted report even if the pins "
                     "changed since (a rerun over the same pins resumes by itself)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    history = actions.add_parser("history", help="the canary's reports, newest first")
    history.add_argument("--last", type=int, default=None, metavar="N", help="only the newest N")


def run(ledger: Ledger, args: argparse.Namespace) -> int:
    from paramlab.canary.run import CanaryUsageError
    from paramlab.ledger import LedgerError
    from paramlab.ledger.edits.canary import UnknownImages
    from paramlab.replay.client import WebuiError

    try:
        return _action(ledger, args)
    except (CanaryUsageError, UnknownImages) as exc:
        print(exc, file=sys.stderr)
        return 2
    except (WebuiError, LedgerError) as exc:
        print(exc, file=sys.stderr)
        return 1


def _action(ledger: Ledger, args: argparse.Namespace) -> int:
    from paramlab.canary.report import history_line, report_text
    from paramlab.ledger.actor import acting_as, operator
    from paramlab.ledger.edits import canary as edits
    from paramlab.ledger.reads.canary import pinned_images, report_history

    if args.action == "list":
        for pin in pinned_images(ledger):
            image = pin.image
            print(f"image {pin.image_id}  {image.get('tab')}  seed {image.get('seed')}  "
                  f"{(image.get('prompt') or '')[:60]!r}  pinned {pin.pinned_at:%Y-%m-%d} by {pin.pinned_by or '?'}"
                  + (f"  — {pin.note}" if pin.note else ""))
        return 0
    if args.action == "history":
        for report in report_history(ledger, args.last):
            print(history_line(report))
        return 0
    with acting_as(operator()) as actor:
        if args.action == "pin":
            new = edits.pin_images(ledger, args.image_ids, actor.name, args.note)
            print(f"ParamLab: pinned {len(new)} new image(s); {len(args.image_ids) - len(new)} were pinned already.",
                  file=sys.stderr)
            return 0
        if args.action == "unpin":
            gone = edits.unpin_images(ledger, args.image_ids)
            print(f"ParamLab: unpinned {len(gone)} image(s).", file=sys.stderr)
            return 0
        report = _run_canary(ledger, args)
    print(report_text(report))
    return 0 if report.status == "finished" and report.drifted == 0 else 1


def _run_canary(ledger: Ledger, args: argparse.Namespace) -> Any:
    from paramlab.canary.run import CanaryRun, CanarySettings
    from paramlab.replay.client import WebuiClient

    settings = CanarySettings(ssim_tolerance=args.ssim_tolerance, slowdown_factor=args.slowdown_factor,
                              resume=args.resume, progress=not args.quiet)
    return CanaryRun(ledger, WebuiClient(args.webui, args.auth), settings).run()
