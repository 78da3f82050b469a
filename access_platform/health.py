"""``/healthz`` (the process is alive) and ``/readyz`` (it can serve requests)."""

from __future__ import annotations

from typing import Any

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy.exc import DBAPIError

from access_platform.errors import DATABASE_UNAVAILABLE, ApiError, problem_type
from access_platform.migrate import database_heads
from access_platform.resources import Liveness, Readiness

MIGRATIONS_PENDING = problem_type("migrations-pending")


@view_config(
    context=Liveness, request_method="GET", permission=NO_PERMISSION_REQUIRED, renderer="json"
)
def liveness(context: Liveness, request: Any) -> dict[str, str]:
    return {"status": "ok"}


@view_config(
    context=Readiness, request_method="GET", permission=NO_PERMISSION_REQUIRED, renderer="json"
)
def readiness(context: Readiness, request: Any) -> dict[str, Any]:
    """Return 200 when the database answers and its schema is at the code's migration head."""
    try:
        with request.registry.db_engine.connect() as connection:
            current = database_heads(connection)
    except DBAPIError as error:
        raise ApiError(
            503,
            f"The database is unreachable: {error.__class__.__name__}.",
            type=DATABASE_UNAVAILABLE,
            title="Database unavailable",
        ) from error

    expected = request.registry.migration_heads
    if current != expected:
        raise ApiError(
            503,
            f"The database schema is at {sorted(current) or 'no revision'}, but this version "
            f"needs {sorted(expected)}; run `access-platform migrate` with this ini file.",
            type=MIGRATIONS_PENDING,
            title="Migrations pending",
        )
    return {"status": "ready", "database": "reachable", "schema_revision": sorted(current)}
