"""Alembic environment: migrates the database named by the app's settings.

The ``access-platform migrate`` command sets ``sqlalchemy.url`` on the
Alembic config. Running ``alembic -c development.ini ...`` reads the same
key from the ini file's ``[app:main]`` section.
"""

from __future__ import annotations

from alembic import context
from pyramid.paster import get_appsettings

from access_platform.db import UTCDateTime, create_db_engine
from access_platform.models import Base
from access_platform.settings import parse_settings

config = context.config


def _settings() -> dict:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return parse_settings({"sqlalchemy.url": url})
    return parse_settings(get_appsettings(config.config_file_name, name="main"))


def render_item(type_: str, item: object, autogen_context: object) -> str | bool:
    """Render the app's column types as plain SQLAlchemy types in new migrations.

    A migration must not import application code, which changes over time.
    """
    if type_ == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=_settings()["sqlalchemy.url"],
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(_settings())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a SQLite table by copying it and
                # dropping the original; with foreign keys enforced, that
                # drop would cascade into the rows that refer to it. The
                # pragma only takes effect outside a transaction, so it goes
                # straight to the driver before anything begins, and the
                # foreign keys are checked once at the end.
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                # SQLite cannot alter most constraints in place; batch mode
                # rebuilds the table, and does nothing extra on PostgreSQL.
                render_as_batch=True,
                compare_type=True,
                render_item=render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if violations:
                    raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
