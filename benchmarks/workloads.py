"""The fixed workload of run.py: which requests each operation sends, and how each is timed.

Read operations run with several concurrent clients (http_load.measure).
Writes that the targets compare with one-at-a-time work run on one
connection: sequential SCIM POST, the SCIM PATCH of 1,000 members, and
20 sequential creates against one ``$batch`` of 20.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import seeding
import sqlalchemy as sa
from batch_vs_sequential import measure as measure_batch_rounds
from harness import call
from http_load import Request, RequestSource, Timing, connect, measure, send

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PATCH_MEMBERS = 1_000
# Deep pages start from the middle of the users, sorted by user name (REST) or id (SCIM).
DEEP_PAGES = 10
PAGE_SIZE = 100
# SCIM users created by the POST benchmark are numbered from here upwards,
# far past the seeded ones and the two that check_seed_shape creates.
POSTED_USERS_FROM = 50_000_000


@dataclass(frozen=True)
class Operation:
    """One row of the report.

    :ivar kind: ``concurrent`` (``clients`` clients), ``sequential`` (one
        connection) or ``rounds`` (timed by its own function).
    """

    key: str
    label: str
    kind: str
    surface: str = "rest"
    source: RequestSource | None = None
    expected_status: int = 200


@dataclass(frozen=True)
class Context:
    port: int
    seed: seeding.Seed

    @property
    def rest_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.seed.admin_key, "Accept": "application/json"}

    @property
    def scim_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.seed.scim_token}",
            "Accept": "application/scim+json",
        }

    def headers(self, surface: str) -> dict[str, str]:
        return self.scim_headers if surface == "scim" else self.rest_headers


def _cycle(items: list[Any], build: Callable[[Any], Request]) -> RequestSource:
    def source(number: int) -> Request:
        return build(items[number % len(items)])

    return source


def _get(path: str) -> Request:
    return Request("GET", path)


def _scim_filter(expression: str) -> str:
    return f"/scim/v2/Users?filter={quote(expression, safe='')}"


def deep_rest_cursors(context: Context) -> list[str]:
    """Return cursors of ``DEEP_PAGES`` consecutive pages from the middle of the user list.

    The cursors come from following ``next_cursor`` from the first page,
    1,000 users a page until the middle, so they are what a client paging
    that far would send.
    """
    middle = context.seed.users // 2
    cursor = None
    position = 0
    while position + 1000 <= middle:
        page = call(
            context.port,
            "GET",
            "/api/v1/users?limit=1000" + (f"&cursor={cursor}" if cursor else ""),
            context.rest_headers,
        )
        cursor = page["next_cursor"]
        position += 1000
    cursors = []
    for _ in range(DEEP_PAGES):
        path = f"/api/v1/users?limit={PAGE_SIZE}" + (f"&cursor={cursor}" if cursor else "")
        page = call(context.port, "GET", path, context.rest_headers)
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
        cursors.append(cursor)
    if not cursors:
        raise SystemExit("the user list has too few pages for a deep page")
    return cursors


def operations(context: Context) -> list[Operation]:
    """Return every operation of the workload, in the order they run: reads first."""
    seed = context.seed
    sample = seed.sample
    with_work_email = [user for user in sample if user.work_email is not None]
    deep_cursors = deep_rest_cursors(context)
    deep_starts = [seed.users // 2 + PAGE_SIZE * page for page in range(DEEP_PAGES)]

    def scim_post(number: int) -> Request:
        body = seeding.scim_user_body(POSTED_USERS_FROM + number)
        return Request("POST", "/scim/v2/Users", json.dumps(body).encode())

    return [
        Operation(
            "rest_user_by_id",
            "GET /api/v1/users/{id}",
            "concurrent",
            source=_cycle(sample, lambda user: _get(f"/api/v1/users/{user.id}")),
        ),
        Operation(
            "scim_user_by_id",
            "GET /scim/v2/Users/{id}",
            "concurrent",
            surface="scim",
            source=_cycle(sample, lambda user: _get(f"/scim/v2/Users/{user.id}")),
        ),
        Operation(
            "rest_page_first",
            "GET /api/v1/users?limit=100, first page",
            "concurrent",
            source=lambda number: _get(f"/api/v1/users?limit={PAGE_SIZE}"),
        ),
        Operation(
            "rest_page_deep",
            "GET /api/v1/users?limit=100, cursor at the middle",
            "concurrent",
            source=_cycle(
                deep_cursors,
                lambda cursor: _get(f"/api/v1/users?limit={PAGE_SIZE}&cursor={cursor}"),
            ),
        ),
        Operation(
            "scim_page_first",
            "GET /scim/v2/Users?count=100, first page",
            "concurrent",
            surface="scim",
            source=lambda number: _get(f"/scim/v2/Users?count={PAGE_SIZE}"),
        ),
        Operation(
            "scim_page_deep",
            "GET /scim/v2/Users?count=100, startIndex at the middle",
            "concurrent",
            surface="scim",
            source=_cycle(
                deep_starts,
                lambda start: _get(f"/scim/v2/Users?startIndex={start}&count={PAGE_SIZE}"),
            ),
        ),
        Operation(
            "scim_filter_user_name",
            'GET /scim/v2/Users?filter=userName eq "..."',
            "concurrent",
            surface="scim",
            source=_cycle(
                sample, lambda user: _get(_scim_filter(f'userName eq "{user.user_name}"'))
            ),
        ),
        Operation(
            "scim_filter_work_email",
            'GET /scim/v2/Users?filter=emails[type eq "work"].value eq "..."',
            "concurrent",
            surface="scim",
            source=_cycle(
                with_work_email,
                lambda user: _get(
                    _scim_filter(f'emails[type eq "work"].value eq "{user.work_email}"')
                ),
            ),
        ),
        Operation(
            "rest_effective_permissions",
            "GET /api/v1/users/{id}/effectivePermissions",
            "concurrent",
            source=_cycle(
                sample, lambda user: _get(f"/api/v1/users/{user.id}/effectivePermissions")
            ),
        ),
        Operation(
            "scim_post_sequential",
            "POST /scim/v2/Users, one at a time",
            "sequential",
            surface="scim",
            source=scim_post,
            expected_status=201,
        ),
        Operation(
            "scim_patch_1000_members",
            f"PATCH /scim/v2/Groups/{{id}} adding {PATCH_MEMBERS:,} members",
            "rounds",
            surface="scim",
        ),
        Operation("rest_create_20_sequential", "20 x POST /api/v1/users, per round", "rounds"),
        Operation("rest_batch_20", "POST /api/v1/$batch of 20 creates, per round", "rounds"),
    ]


def run_measured(
    context: Context, operation: Operation, clients: int, warmup: float, duration: float
) -> Timing:
    """Measure a ``concurrent`` or ``sequential`` operation."""
    if operation.source is None:
        raise ValueError(f"operation {operation.key} has no request source")
    return measure(
        context.port,
        operation.source,
        context.headers(operation.surface),
        clients=clients if operation.kind == "concurrent" else 1,
        warmup_seconds=warmup,
        duration_seconds=duration,
        expected_status=operation.expected_status,
    )


def patch_members(context: Context) -> Timing:
    """Time SCIM PATCHes that each add 1,000 users to an empty group; the first is a warm-up."""
    seed = context.seed
    connection = connect(context.port)
    latencies = []
    for round_number, group_id in enumerate(seed.patch_group_ids):
        first = round_number * PATCH_MEMBERS
        members = [
            {"value": seed.user_ids[(first + offset) % len(seed.user_ids)]}
            for offset in range(PATCH_MEMBERS)
        ]
        body = {
            "schemas": [PATCH_OP_URN],
            "Operations": [{"op": "add", "path": "members", "value": members}],
        }
        request = Request("PATCH", f"/scim/v2/Groups/{group_id}", json.dumps(body).encode())
        started = time.monotonic()
        status, response = send(connection, request, context.scim_headers)
        elapsed = time.monotonic() - started
        if status != 200:
            raise SystemExit(
                f"PATCH /scim/v2/Groups/{group_id} returned {status}, expected 200: "
                f"{response[:300].decode('utf-8', 'replace')}"
            )
        if round_number > 0:
            latencies.append(elapsed)
    connection.close()
    return Timing(latencies, sum(latencies))


def batch_against_sequential(context: Context, rounds: int) -> tuple[Timing, Timing]:
    """Time rounds of 20 sequential creates and of one $batch of 20, as batch_vs_sequential.py does.

    The latencies are those of whole rounds; requests per second count
    HTTP requests, so 20 per sequential round and one per batch.
    """
    items = 20
    sequential, batched = measure_batch_rounds(context.port, context.seed.admin_key, items, rounds)
    return (
        Timing(sequential, sum(sequential), request_count=items * len(sequential)),
        Timing(batched, sum(batched)),
    )


def check_seed_shape(context: Context, url: str) -> None:
    """Create one SCIM user and one REST user through the API and compare their rows with seeding's.

    :raises SystemExit: naming the first column or email row that differs,
        because the seeded rows would then not be what the API writes.
    """
    seed = context.seed
    scim_index = next(
        index
        for index in range(seed.users, seed.users + 1000)
        if seeding.user_source(index) == "scim" and index % 15 == 0
    )
    rest_index = next(
        index
        for index in range(seed.users, seed.users + 1000)
        if seeding.user_source(index) == "local"
    )
    created = [
        (
            scim_index,
            call(
                context.port,
                "POST",
                "/scim/v2/Users",
                context.scim_headers,
                seeding.scim_user_body(scim_index),
                201,
            )["id"],
        ),
        (
            rest_index,
            call(
                context.port,
                "POST",
                "/api/v1/users",
                context.rest_headers,
                seeding.rest_user_body(rest_index),
                201,
            )["id"],
        ),
    ]
    engine = sa.create_engine(url)
    users = seeding.User.__table__
    emails = seeding.UserEmail.__table__
    try:
        with engine.connect() as connection:
            for index, user_id in created:
                stored = dict(
                    connection.execute(sa.select(users).where(users.c.id == user_id))
                    .mappings()
                    .one()
                )
                stored_emails = [
                    dict(row)
                    for row in connection.execute(
                        sa.select(emails)
                        .where(emails.c.user_id == user_id)
                        .order_by(emails.c.position)
                    ).mappings()
                ]
                expected, expected_emails = seeding.user_rows(
                    index, user_id, stored["created_at"], seed.scim_token_id
                )
                expected["updated_at"] = stored["updated_at"]
                _compare_rows(f"users row of seeded user {index}", expected, stored)
                if len(expected_emails) != len(stored_emails):
                    raise SystemExit(
                        f"user {index}: the API stored {len(stored_emails)} email rows, "
                        f"seeding writes {len(expected_emails)}"
                    )
                for expected_email, stored_email in zip(
                    expected_emails, stored_emails, strict=True
                ):
                    _compare_rows(f"email row of seeded user {index}", expected_email, stored_email)
    finally:
        engine.dispose()


def _compare_rows(description: str, expected: dict[str, Any], stored: dict[str, Any]) -> None:
    for column, value in stored.items():
        if expected.get(column) != value:
            raise SystemExit(
                f"the {description} differs from what the API stores in column {column}: "
                f"seeding writes {expected.get(column)!r}, the API wrote {value!r}"
            )
