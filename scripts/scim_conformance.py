"""Run the public SCIM checker scim2-tester against the app, in process, and print its results.

The app runs on a fresh SQLite database (or the PostgreSQL URL given with
``--database-url``, whose database it fills) with a new SCIM token, and
scim2-tester's WSGI client calls it directly, without a network. Install
the checker first with ``.venv/bin/pip install -e '.[conformance]'``.

Usage::

    .venv/bin/python scripts/scim_conformance.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from access_platform import main as make_app
from access_platform.db import session_scope
from access_platform.migrate import upgrade_to_head
from access_platform.scim.services import issue_scim_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="database to use; a temporary SQLite file when left out"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'conformance.sqlite'}"
        upgrade_to_head(url)
        app = make_app({}, **{"sqlalchemy.url": url})
        with session_scope(app.app.registry.db_session_factory) as dbsession:
            token = issue_scim_token(dbsession, "scim2-tester", None).secret

        client = WSGISCIMClient(
            app, base_url="http://localhost/scim/v2", headers={"Authorization": f"Bearer {token}"}
        )
        results = check_server(client, raise_exceptions=False)

    counts = collections.Counter(result.status.name for result in results)
    print(
        "scim2-tester:", ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    )
    for result in results:
        if result.status != Status.SUCCESS:
            reason = result.reason.splitlines()[0][:200] if result.reason else ""
            print(f"  {result.status.name} {result.title}: {reason}")


if __name__ == "__main__":
    main()
