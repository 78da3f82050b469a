"""Alembic owns the schema: empty to head, back to base, and head matches the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from access_platform.migrate import alembic_config, database_heads, script_heads, upgrade_to_head
from access_platform.models import Base
from access_platform.rbac.models import TENANT_ADMIN_ROLE_ID


def test_empty_database_migrates_to_head(empty_database_url):
    upgrade_to_head(empty_database_url)

    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            assert database_heads(connection) == script_heads()
            tables = set(sa.inspect(connection).get_table_names())
            assert {table.name for table in Base.metadata.sorted_tables} <= tables
            seeded = (
                connection.execute(
                    sa.text("SELECT permission FROM role_permissions WHERE role_id = :id"),
                    {"id": TENANT_ADMIN_ROLE_ID},
                )
                .scalars()
                .all()
            )
            assert seeded == ["*"]
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database_url):
    upgrade_to_head(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")

    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            assert database_heads(connection) == set()
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

    upgrade_to_head(empty_database_url)


def test_migrations_match_models(database_url):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []
