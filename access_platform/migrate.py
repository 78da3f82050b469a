"""Schema migrations through Alembic, for the CLI, the readiness check and tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

SCRIPT_LOCATION = "access_platform:migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config that migrates ``database_url``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser treats % as interpolation; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration that ``database_url`` has not had yet."""
    command.upgrade(alembic_config(database_url), "head")


def script_heads() -> set[str]:
    """Return the head revisions that the installed code defines."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return set(ScriptDirectory.from_config(config).get_heads())


def database_heads(connection: Connection) -> set[str]:
    """Return the revisions the database is at (empty for a new database)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))  # noqa: S608
