"""The standalone viewer's load on a shared ledger: the tab's queries and rating writes, in a loop.

``python tests/support/viewer_child.py LEDGER STOP_FILE`` opens the ledger (a file or a database URL) as
``python -m paramlab serve`` does, and until STOP_FILE exists runs the ledger view's page query, its
filter lists, an image's detail and a rating write, over and over. It prints one JSON line: how many rounds, and every
error message it met (a "database is locked" reaching the user would show up there).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.filters import ImageFilter  # noqa: E402
from paramlab.ledger.reads.images import image_page  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402
from paramlab.tab.ledger_view.query import filter_options, image_detail  # noqa: E402


def main() -> None:
    location, stop = sys.argv[1], Path(sys.argv[2])  # a file path or a database URL
    ledger = Ledger.open(resolve_ledger_url(location, None))
    rounds, ratings, errors = 0, 0, []
    while not stop.exists():
        try:
            page = image_page(ledger, ImageFilter())
            filter_options(ledger)
            if page.rows:
                newest = page.rows[0]["id"]
                image_detail(ledger, newest)
                ratings += int(ledger.set_rating(newest, 1 + rounds % 5))
            rounds += 1
            time.sleep(0.02)  # a busy user, not a busy loop: the writers' idle-priority work needs a core too
        except Exception as exc:  # noqa: BLE001 - every error is the finding this process reports
            errors.append(f"{type(exc).__name__}: {exc}")
    ledger.close()
    print(json.dumps({"rounds": rounds, "ratings": ratings, "errors": errors}), flush=True)


if __name__ == "__main__":
    main()
