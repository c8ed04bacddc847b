"""``python -m paramlab``: serve the standalone page, backfill from PNGs, export the ledger."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paramlab import __version__
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.urls import LedgerLocationError, describe_url, resolve_ledger_url
from paramlab.paths import standalone_data_dir

GUIDE_ACTIONS = {
    "approve": "put a profile in the studio's style guide (listed first, badged)",
    "unapprove": "take a profile out of the style guide",
    "lock": "lock a profile: only the command line or allowed WebUI users may change it",
    "unlock": "unlock a profile",
}
GUIDE_FLAGS = {"approve": {"approved": True}, "unapprove": {"approved": False}, "lock": {"locked": True},
               "unlock": {"locked": False}}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m paramlab", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ParamLab {__version__}")
    parser.add_argument(
        "--db", metavar="PATH_OR_URL", default=None,
        help="ledger file path or SQLAlchemy URL (default: an SQLite ledger in "
        f"{standalone_data_dir()}; PARAMLAB_HOME moves that folder)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="open the ParamLab page on 127.0.0.1")
    serve.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default 127.0.0.1; any other than loopback needs --auth)")
    serve.add_argument("--port", type=int, default=7870, help="port (default 7870)")
    serve.add_argument("--auth", metavar="USER:PASSWORD", action="append", default=[],
                       help="a login the page asks for; repeatable or comma-separated, like the WebUI's --gradio-auth")
    serve.add_argument("--auth-file", metavar="FILE", type=Path, default=None,
                       help="logins from a file, one user:password per line, like the WebUI's --gradio-auth-path")
    serve.add_argument("--editor", metavar="USER", action="append", default=[],
                       help="a login that may change the ledger (rate, delete, edit profiles and series); "
                       "repeatable or comma-separated. With logins, everyone else only views")
    serve.add_argument("--path-map", metavar="[HOST:]FROM=TO", action="append", default=[],
                       help="where a machine's image folder is reachable from here (e.g. a NAS share); repeatable")

    importer = commands.add_parser("import", help="backfill the ledger from the infotext of PNG files")
    importer.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    importer.add_argument("folder", type=Path, help="an outputs folder; searched recursively")
    importer.add_argument("--quiet", action="store_true", help="no progress bar")

    exporter = commands.add_parser("export", help="write the ledger's images (all, or those the filter flags "
                                   "select) as CSV or JSON")
    exporter.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    exporter.add_argument("--format", choices=("csv", "json"), default="csv")
    exporter.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: stdout)")
    add_filter_flags(exporter.add_argument_group("filter (the same as GET /paramlab/v1/images takes)"))

    migrate = commands.add_parser("migrate", help="copy this ledger into another database (e.g. the team's "
                                  "PostgreSQL); verified, safe to run again, the source is never changed")
    migrate.add_argument("--to", metavar="URL_OR_PATH", required=True,
                         help="the target ledger, e.g. postgresql+psycopg://user@host/paramlab")
    migrate.add_argument("--from", dest="source", metavar="PATH_OR_URL", default=None,
                         help="the ledger to copy (default: --db, else the standalone ledger)")
    migrate.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    migrate.add_argument("--quiet", action="store_true", help="no progress bar")

    from paramlab.abtest import client as abtest_client

    abtest_client.add_parser(commands)

    from paramlab.canary import commands as canary_commands

    canary_commands.add_parser(commands)

    profiles = commands.add_parser("profiles", help="list, export or import parameter profiles")
    profiles.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help="as above")
    actions = profiles.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="names, scope, settings and style-guide state")
    export = actions.add_parser("export", help="write a profiles file (all, or the named ones), or the style guide")
    export.add_argument("--name", action="append", default=None, help="a profile to export (repeatable)")
    export.add_argument("--approved", action="store_true", help="only the approved profiles (the style guide)")
    export.add_argument("--format", choices=("json", "markdown"), default="json",
                        help="json: a profiles file others can import; markdown: the guide for people to review")
    export.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: stdout)")
    for action, text in GUIDE_ACTIONS.items():
        actions.add_parser(action, help=text).add_argument("name")
    actions.add_parser("history", help="every version of a profile: what changed, who, when").add_argument("name")
    load = actions.add_parser("import", help="import a profiles file: all or nothing")
    load.add_argument("file", type=Path)
    load.add_argument("--on-conflict", choices=("skip", "rename", "replace"), default=None,
                      help="what to do when a name exists (default: refuse the import)")
    load.add_argument("--keep-unknown", action="store_true",
                      help="keep profiles naming samplers/models this machine lacks (checked inside the WebUI)")
    return parser


def add_filter_flags(group: Any) -> None:
    """One flag per parameter of the ledger's filter that selects images, generated so they cannot drift from
    the HTTP route's: ``steps_min`` is ``--steps-min``; a choice (``--sampler``) may be given several times."""
    from paramlab.ledger.filters import FILTER_PARAMS

    for param in FILTER_PARAMS:
        if param.selects:
            group.add_argument(f"--{param.name.replace('_', '-')}", dest=f"filter_{param.name}", metavar="VALUE",
                               action="append" if param.several else "store", default=None, help=param.help)


def filter_from_flags(args: argparse.Namespace) -> Any:
    """The :class:`~paramlab.ledger.filters.ImageFilter` the filter flags give (raises ``FilterError``)."""
    from paramlab.ledger.filters import FILTER_PARAMS, ImageFilter

    given = {param.name: getattr(args, f"filter_{param.name}", None) for param in FILTER_PARAMS}
    return ImageFilter.from_params({name: value for name, value in given.items() if value is not None})


def open_ledger(db: str | None) -> Ledger:
    return Ledger.open(resolve_ledger_url(db, standalone_data_dir()))


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; anything else (0.0.0.0, a LAN address, a name) reaches other machines."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class ServeRefused(Exception):
    """``serve`` must not start as asked; the message says why and what to do."""


def serve_logins(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The logins from ``--auth`` and ``--auth-file``; refuses a non-loopback host without any."""
    from paramlab.web.access import parse_credentials

    texts = list(args.auth)
    if args.auth_file is not None:
        try:
            texts += args.auth_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeRefused(f"ParamLab: cannot read --auth-file {args.auth_file}: {exc}") from exc
    try:
        logins = parse_credentials(texts)
    except ValueError as exc:
        raise ServeRefused(str(exc)) from exc
    if not logins and not is_loopback_host(args.host):
        raise ServeRefused(
            f"ParamLab: refusing to serve on {args.host} without a login: anyone who can reach this port could "
            "read every prompt and image in the ledger. Add --auth user:password (or --auth-file FILE), "
            "or listen on 127.0.0.1."
        )
    editors = serve_editors(args)
    unknown = sorted(set(editors) - {user for user, _ in logins})
    if editors and not logins:
        raise ServeRefused("ParamLab: --editor names a login, so it needs --auth or --auth-file.")
    if unknown:
        raise ServeRefused(f"ParamLab: --editor {', '.join(unknown)}: no such login in --auth/--auth-file.")
    return logins


def serve_editors(args: argparse.Namespace) -> list[str]:
    return [name.strip() for text in args.editor for name in text.split(",") if name.strip()]


def run_migrate(args: argparse.Namespace) -> int:
    """Copy a ledger into another one; exit 0 when every source row is verified in the target, 1 when not."""
    from paramlab.ledger.transfer import transfer

    try:
        source = resolve_ledger_url(args.source or args.db, standalone_data_dir())
        target = resolve_ledger_url(args.to, standalone_data_dir())
        print(f"ParamLab: copying {describe_url(source)} into {describe_url(target)}", file=sys.stderr)
        report = transfer(source, target, progress=not args.quiet)
    except (LedgerError, LedgerLocationError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "migrate":
        return run_migrate(args)
    if args.command == "abtest":  # talks to a running WebUI; needs no ledger here
        from paramlab.abtest import client as abtest_client

        return abtest_client.run(args)
    from paramlab.ledger.filters import FilterError

    logins: list[tuple[str, str]] = []
    try:  # what the flags say is checked before the ledger is opened
        logins = serve_logins(args) if args.command == "serve" else []
        export_filter = filter_from_flags(args) if args.command == "export" else None
    except (ServeRefused, FilterError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        ledger = open_ledger(args.db)
    except (LedgerError, LedgerLocationError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            from paramlab.ledger.locations import PathMap, use_path_map
            from paramlab.standalone import serve

            try:
                path_map = PathMap.parse(args.path_map)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            use_path_map(lambda: path_map)
            serve(ledger, host=args.host, port=args.port, logins=logins, editors=serve_editors(args))
            return 0
        if args.command == "import":
            from paramlab.ledger.importer import import_folder

            report = import_folder(ledger, args.folder, progress=not args.quiet)
            print(report.summary(), file=sys.stderr)
            return 0 if report.ok else 1
        if args.command == "export":
            from paramlab.ledger.edits.images import export_filtered

            if args.output is None:
                # UTF-8 and no newline translation whatever the console's locale (CSV has its own \r\n).
                sys.stdout.reconfigure(encoding="utf-8", newline="")
                try:
                    count = export_filtered(ledger, export_filter, args.format, sys.stdout)
                except BrokenPipeError:  # e.g. piped into `head`
                    return 0
            else:
                with args.output.open("w", encoding="utf-8", newline="") as handle:
                    count = export_filtered(ledger, export_filter, args.format, handle)
            print(f"ParamLab: exported {count} image row(s) as {args.format}.", file=sys.stderr)
            return 0
        if args.command == "profiles":
            return run_profiles(ledger, args)
        if args.command == "canary":
            from paramlab.canary import commands as canary_commands

            return canary_commands.run(ledger, args)
    finally:
        ledger.close()
    return 2


def run_profiles(ledger: Ledger, args: argparse.Namespace) -> int:
    """Profiles outside the WebUI: names are checked for types and ranges only (no sampler registry here).
    The command line is the style guide's operator: it may change locked profiles, and is named in their history."""
    from paramlab.ledger.actor import acting_as, operator
    from paramlab.profiles import ProfileError, ProfileStore

    store = ProfileStore(ledger)
    try:
        with acting_as(operator()):
            return _profiles_action(store, args)
    except (ProfileError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2


def _profiles_action(store: Any, args: argparse.Namespace) -> int:
    from paramlab.profiles.fileformat import export_profiles, import_profiles
    from paramlab.profiles.guide import badge, guide_markdown

    if args.action == "list":
        for profile in store.list():
            kind = "starter" if profile.starter else "profile"
            guide = f"  [{badge(profile)}]" if badge(profile) else ""
            settings = ", ".join(f"{key}: {value}" for key, value in profile.settings.items())
            print(f"{profile.name}  [{kind}]{guide}  {settings}")
        return 0
    if args.action in GUIDE_FLAGS:
        profile = store.set_guide(args.name, **GUIDE_FLAGS[args.action])
        print(f"ParamLab: {profile.name}: {badge(profile) or 'not in the style guide'}.", file=sys.stderr)
        return 0
    if args.action == "history":
        for version in store.history(args.name):
            who = version["changed_by"] or "unknown"
            print(f"v{version['version']}  {version['changed_at']:%Y-%m-%d %H:%M}  {version['action']:<10}  "
                  f"{who}  {version['name']}: {version['settings_json']}")
        return 0
    if args.action == "export":
        chosen = [store.get(name) for name in args.name] if args.name else store.list()
        if args.approved:
            chosen = [profile for profile in chosen if profile.approved]
        content = guide_markdown(chosen) if args.format == "markdown" else export_profiles(chosen)
        if args.output is None:
            sys.stdout.reconfigure(encoding="utf-8")
            sys.stdout.write(content + "\n")
        else:
            args.output.write_text(content, encoding="utf-8")
        print(f"ParamLab: exported {len(chosen)} profile(s).", file=sys.stderr)
        return 0
    report = import_profiles(store, args.file.read_bytes(), on_conflict=args.on_conflict,
                             keep_unknown=args.keep_unknown)
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1
