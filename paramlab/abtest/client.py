"""``python -m paramlab abtest``: run an A/B test on a running WebUI through its API (POST /sdapi/v1/txt2img
with the script "ParamLab A/B test"), so a long test can be started from a shell or a scheduler.

The test is checked here first (the same model as the script's), so a typo fails before any request; what
only the WebUI knows (its profiles) it checks before sampling, and its message is printed as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from paramlab.abtest.spec import SCRIPT_TITLE, ABTestError, parse_abtest_args
from paramlab.abtest.ui_value import parse_variant_line
from paramlab.replay.client import WebuiClient, WebuiError

ERROR_KEY = "ParamLab error"
SUMMARY_KEY = "ParamLab A/B summary"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("abtest", help="run a blind A/B test on a running WebUI (through its API)")
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="the WebUI (default http://127.0.0.1:7860)")
    parser.add_argument("--auth", metavar="USER:PASSWORD", default=None, help="the WebUI's --api-auth login")
    parser.add_argument("--name", required=True, help="the test's name; running it again resumes it")
    parser.add_argument("--variant", action="append", default=[], required=True,
                        help='a profile name, or NAME={"Steps": 30} (JSON settings); repeat for each variant (2–8)')
    parser.add_argument("--prompt", action="append", default=[], required=True, help="a prompt; repeatable")
    parser.add_argument("--negative-prompt", default=None)
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--confirm", action="store_true", help="allow more images than the maximum (200)")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--height", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="steps for variants that do not set them")
    parser.add_argument("--img2img", action="store_true", help="not supported here: use the WebUI's img2img tab")


def request_body(args: argparse.Namespace) -> dict[str, Any]:
    """The request body, after checking the test with the script's own model (raises ABTestError)."""
    test = {"name": args.name, "variants": [parse_variant_line(line) for line in args.variant],
            "prompts": args.prompt, "seed_count": args.seeds, "first_seed": args.first_seed, "confirm": args.confirm}
    if args.negative_prompt is not None:
        test["negative_prompt"] = args.negative_prompt
    parse_abtest_args(test)
    body: dict[str, Any] = {"prompt": args.prompt[0], "script_name": SCRIPT_TITLE, "script_args": [test],
                            "send_images": False, "save_images": True}
    for key in ("width", "height", "steps"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    return body


def run(args: argparse.Namespace) -> int:
    if args.img2img:
        print("ParamLab: abtest runs txt2img through the API; run img2img tests in the WebUI.", file=sys.stderr)
        return 2
    try:
        body = request_body(args)
    except ABTestError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        answer = WebuiClient(args.url, args.auth).call("POST", "/sdapi/v1/txt2img", body)
    except WebuiError as exc:
        print(exc, file=sys.stderr)
        return 1
    info = json.loads(answer.get("info") or "{}")
    params = info.get("extra_generation_params") or {}
    if ERROR_KEY in params:
        print(params[ERROR_KEY], file=sys.stderr)
        return 2
    summary = params.get(SUMMARY_KEY)
    if not isinstance(summary, dict):
        print("ParamLab: the WebUI did not run the A/B test (is ParamLab installed there?).", file=sys.stderr)
        return 1
    print(summary.get("summary", ""))
    print("Judge it in the WebUI: ParamLab tab → A/B tests.")
    return 0 if not summary.get("remaining_cells") else 1
