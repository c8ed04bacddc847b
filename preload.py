"""Command-line flags, added by A1111 before it parses its arguments."""

import argparse


def preload(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--paramlab-db",
        type=str,
        default=None,
        help="ParamLab ledger: an SQLite file path or an SQLAlchemy URL "
        "(default: <data dir>/paramlab/ledger.sqlite); keep a password out of it: PGPASSFILE or PGPASSWORD",
    )
