"""Fill a migrated database with users, emails, groups, memberships and role assignments, in bulk.

Rows go in with SQLAlchemy Core ``executemany`` on SQLite and ``COPY``
on PostgreSQL, never through the API, so that 100,000 users take
seconds. Each row contains what the API would have written for the
request body that :func:`scim_user_body` or :func:`rest_user_body`
returns. That covers the folded lookup columns, email rows, ``scim_data``
and sources.
run.py checks this on every run by creating two users through the API and
comparing their rows with the seeded form.

The administrator, its API key and the SCIM token are created with the
product's own services, as ``access-platform create-admin`` does.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import access_platform.models  # noqa: F401  (maps every table)
from access_platform.auth.services import issue_api_key
from access_platform.db import create_db_engine, new_id, new_session_factory, session_scope, utcnow
from access_platform.groups.models import Group, GroupMember
from access_platform.migrate import upgrade_to_head
from access_platform.rbac.models import (
    AUDITOR_ROLE_ID,
    TENANT_ADMIN_ROLE_ID,
    USER_ADMIN_ROLE_ID,
    RoleAssignment,
)
from access_platform.rbac.services import assign_role
from access_platform.scim.core_schemas import ENTERPRISE_USER_SCHEMA_URN, USER_SCHEMA_URN
from access_platform.scim.services import issue_scim_token
from access_platform.users.models import User, UserEmail, fold, fold_user_name
from access_platform.users.services import create_user

ADMIN_USER_NAME = "bench-admin"
GIVEN_NAMES = ("Ada", "Björn", "Chloé", "Dmitri", "Émile", "Farah", "Grace", "Hiroshi", "Ines")
FAMILY_NAMES = ("Lovelace", "Øster", "Nakamura", "Okafor", "Schäfer", "Turing", "Ünal", "Wu")
DEPARTMENTS = ("Engineering", "Finance", "Operations", "Sales")
# Users are written in chunks of this many, so memory stays flat at any size.
CHUNK_USERS = 10_000
# Groups built to receive members in the SCIM PATCH benchmark, empty when seeded.
PATCH_TARGET_GROUPS = 10
# Users whose ids, names and addresses the read workloads cycle through.
SAMPLE_USERS = 2_000


def user_source(index: int) -> str:
    """Return how user ``index`` came to be: 70% provisioned over SCIM, 30% created locally."""
    return "scim" if index % 10 < 7 else "local"


def _names(index: int) -> tuple[str, str]:
    return GIVEN_NAMES[index % len(GIVEN_NAMES)], FAMILY_NAMES[index % len(FAMILY_NAMES)]


def user_name(index: int) -> str:
    # Mixed case, so that the folded column differs from the stored name.
    return f"User.{index:07d}@Bench.Example"


def work_email(index: int) -> str:
    return f"Work.{index:07d}@Corp.Example"


def home_email(index: int) -> str:
    return f"home.{index:07d}@mail.example"


def scim_emails(index: int) -> list[dict[str, Any]]:
    """Return the SCIM ``emails`` of user ``index``: most have a work address, some a home one."""
    if index % 4 == 3:
        return [{"value": home_email(index), "type": "home", "primary": True}]
    emails: list[dict[str, Any]] = [{"value": work_email(index), "type": "work", "primary": True}]
    if index % 3 == 0:
        emails.append({"value": home_email(index), "type": "home"})
    return emails


def has_work_email(index: int) -> bool:
    """Return whether user ``index`` has an address of type ``work``."""
    return user_source(index) == "local" or index % 4 != 3


def scim_user_body(index: int) -> dict[str, Any]:
    """Return the SCIM POST body that creates user ``index`` as an identity provider would."""
    given_name, family_name = _names(index)
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA_URN],
        "userName": user_name(index),
        "externalId": f"ext-{index:07d}",
        "name": {"givenName": given_name, "familyName": family_name},
        "displayName": f"{given_name} {family_name} {index}",
        "emails": scim_emails(index),
        "active": True,
    }
    if index % 5 == 0:
        body["schemas"].append(ENTERPRISE_USER_SCHEMA_URN)
        body[ENTERPRISE_USER_SCHEMA_URN] = {
            "employeeNumber": str(index),
            "department": DEPARTMENTS[index % len(DEPARTMENTS)],
        }
    return body


def rest_user_body(index: int) -> dict[str, Any]:
    """Return the ``POST /api/v1/users`` body that creates user ``index``."""
    given_name, family_name = _names(index)
    return {
        "user_name": user_name(index),
        "display_name": f"{given_name} {family_name} {index}",
        "given_name": given_name,
        "family_name": family_name,
        "email": work_email(index),
    }


def user_rows(
    index: int, user_id: str, created_at: datetime, scim_token_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the ``users`` row and ``user_emails`` rows that the API writes for user ``index``."""
    given_name, family_name = _names(index)
    display_name = f"{given_name} {family_name} {index}"
    if user_source(index) == "scim":
        emails = scim_emails(index)
        body = scim_user_body(index)
        extension = body.get(ENTERPRISE_USER_SCHEMA_URN)
        scim_data = {ENTERPRISE_USER_SCHEMA_URN: extension} if extension else None
        external_id: str | None = body["externalId"]
        token_id: str | None = scim_token_id
    else:
        # The REST API stores its one address as a primary work address.
        emails = [{"value": work_email(index), "type": "work", "primary": True}]
        scim_data = None
        external_id = None
        token_id = None
    primary = next((email["value"] for email in emails if email.get("primary")), emails[0]["value"])
    user = {
        "id": user_id,
        "user_name": user_name(index),
        "user_name_folded": fold_user_name(user_name(index)),
        "display_name": display_name,
        "display_name_folded": fold(display_name),
        "given_name": given_name,
        "family_name": family_name,
        "email": primary,
        "email_folded": fold(primary),
        "external_id": external_id,
        "status": "active",
        "source": user_source(index),
        "password_hash": None,
        "scim_data": scim_data,
        "scim_token_id": token_id,
        # Both the REST API and SCIM insert a new user in one INSERT.
        "version": 1,
        "created_at": created_at,
        "updated_at": created_at,
    }
    email_rows = [
        {
            "user_id": user_id,
            "position": position,
            "value": email["value"],
            "value_folded": fold(email["value"]),
            "type": email.get("type"),
            "primary": email.get("primary"),
            "display": None,
        }
        for position, email in enumerate(emails)
    ]
    return user, email_rows


@dataclass(frozen=True)
class SampledUser:
    id: str
    user_name: str
    work_email: str | None


@dataclass
class Seed:
    """Facts about a seeded database that the workloads need."""

    users: int
    admin_id: str
    admin_key: str
    scim_token: str
    scim_token_id: str
    sample: list[SampledUser] = field(default_factory=list)
    # Every seeded user's id, in index order; PATCH takes its members from here.
    user_ids: list[str] = field(default_factory=list)
    patch_group_ids: list[str] = field(default_factory=list)


def insert_rows(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in one bulk operation."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    quoted = ", ".join(f'"{name}"' for name in names)
    driver_connection = connection.connection.driver_connection
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[name])
                    if name in json_columns and row[name] is not None
                    else row[name]
                    for name in names
                ]
            )


def _chunks(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(first + size, total))


def _create_credentials(session_factory: Any) -> tuple[str, str, str, str]:
    """Create the administrator, its API key and a SCIM token, as create-admin does."""
    with session_scope(session_factory) as dbsession:
        admin = create_user(
            dbsession, {"user_name": ADMIN_USER_NAME, "display_name": "Benchmark administrator"}
        )
        assign_role(dbsession, TENANT_ADMIN_ROLE_ID, admin.id)
        api_key = issue_api_key(dbsession, admin, "benchmark", utcnow() + timedelta(days=1))
        token = issue_scim_token(dbsession, "benchmark identity provider", admin.id)
        return admin.id, api_key.secret, token.secret, token.token.id


def _group_rows(
    count: int, first_index: int, created_at: datetime, scim_token_id: str, name: str
) -> list[dict[str, Any]]:
    rows = []
    for index in range(first_index, first_index + count):
        provisioned = index % 2 == 0
        display_name = f"{name} {index:05d}"
        rows.append(
            {
                "id": new_id(),
                "display_name": display_name,
                "display_name_folded": fold(display_name),
                "description": None,
                "source": "idp" if provisioned else "local",
                "membership_mode": "assigned",
                "external_id": f"group-ext-{index:05d}" if provisioned else None,
                "scim_token_id": scim_token_id if provisioned else None,
                "display_name_generated": False,
                "version": 1,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )
    return rows


def group_count(users: int) -> int:
    return max(20, users // 100)


def user_groups(index: int, groups: int) -> Iterable[int]:
    """Return the indexes of the (one or two) groups that user ``index`` is a direct member of."""
    first = index % groups
    second = (index * 7 + 3) % groups
    return (first,) if first == second else (first, second)


def seed(url: str, users: int, random_seed: int = 1) -> Seed:
    """Migrate the empty database at ``url`` and fill it with ``users`` users and their groups.

    Groups number one per hundred users (at least 20). Each user is a
    direct member of one or two of them. Groups form chains of five, each
    nested in the one before. The head of each chain is assigned a
    tenant-wide role, so every user's effective permissions come through
    groups up to four levels deep.
    """
    upgrade_to_head(url)
    engine = create_db_engine({"sqlalchemy.url": url, "sqlalchemy.pool_size": 5})
    try:
        admin_id, admin_key, scim_token, scim_token_id = _create_credentials(
            new_session_factory(engine)
        )
        result = Seed(users, admin_id, admin_key, scim_token, scim_token_id)
        start = utcnow() - timedelta(seconds=users + 3600)
        groups = group_count(users)
        group_rows = _group_rows(groups, 0, start, scim_token_id, "Team")
        group_ids = [row["id"] for row in group_rows]
        patch_rows = _group_rows(PATCH_TARGET_GROUPS, groups, start, scim_token_id, "Patch target")
        result.patch_group_ids = [row["id"] for row in patch_rows]

        chooser = random.Random(random_seed)  # noqa: S311 (a repeatable sample, not a secret)
        sampled = set(chooser.sample(range(users), min(SAMPLE_USERS, users)))
        with engine.begin() as connection:
            insert_rows(connection, Group.__table__, group_rows + patch_rows)
            for chunk in _chunks(users, CHUNK_USERS):
                user_batch, email_batch, member_batch = [], [], []
                for index in chunk:
                    user_id = new_id()
                    created_at = start + timedelta(seconds=index)
                    user, emails = user_rows(index, user_id, created_at, scim_token_id)
                    user_batch.append(user)
                    email_batch.extend(emails)
                    for group_index in user_groups(index, groups):
                        member_batch.append(_member_row(group_ids[group_index], user_id, "user"))
                    result.user_ids.append(user_id)
                    if index in sampled:
                        work = work_email(index) if has_work_email(index) else None
                        result.sample.append(SampledUser(user_id, user_name(index), work))
                insert_rows(connection, User.__table__, user_batch)
                insert_rows(connection, UserEmail.__table__, email_batch)
                insert_rows(connection, GroupMember.__table__, member_batch)

            nested = [
                _member_row(group_ids[index - 1], group_ids[index], "group")
                for index in range(groups)
                if index % 5 != 0
            ]
            insert_rows(connection, GroupMember.__table__, nested)
            assignments = [
                {
                    "id": new_id(),
                    "role_id": USER_ADMIN_ROLE_ID if index % 10 == 0 else AUDITOR_ROLE_ID,
                    "principal_type": "group",
                    "principal_id": group_ids[index],
                    "workspace_id": None,
                    "created_by": f"user:{admin_id}",
                    "created_at": start,
                }
                for index in range(0, groups, 5)
            ]
            insert_rows(connection, RoleAssignment.__table__, assignments)

        # The planner needs statistics of the new rows; autovacuum would
        # gather them only some time later, perhaps mid-run. SQLite is left
        # without ANALYZE, as the product never runs it.
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
        chooser.shuffle(result.sample)
        return result
    finally:
        engine.dispose()


def _member_row(group_id: str, member_id: str, member_type: str) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "member_id": member_id,
        "member_type": member_type,
        "display": None,
        "created_at": utcnow(),
    }
