"""Test kit for plugin authors: the real app on a fresh database, with an administrator.

Installing access-platform registers this module as a pytest plugin (entry
point group ``pytest11``), so its fixtures are available in any test suite
of the same environment without configuration:

``platform_database_url``
    A database migrated to the latest schema, shared by the test session.
    SQLite in a temporary folder by default; set
    ``ACCESS_PLATFORM_TEST_DATABASE_URL`` to a PostgreSQL URL to create a
    database of its own next to the one named, dropped at the end.

``platform``
    A function that builds the app from an ini file, from settings, or both,
    and returns a :class:`Platform`: the WSGI app, a webtest client, an
    administrator with an API key, and a :class:`Factory` for more users and
    SCIM tokens. Rows written during the test are deleted afterwards.

A plugin's test then reads::

    def test_greeting(platform):
        running = platform(ini_file="tests/test.ini", settings={"access_platform.plugins": "hello"})
        running.testapp.get("/api/v1/hello", headers=running.admin.headers, status=200)

The helpers under the fixtures (:func:`migrated_database`,
:func:`build_platform`, :func:`delete_rows`) work without pytest too.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import webtest

DATABASE_URL_VARIABLE = "ACCESS_PLATFORM_TEST_DATABASE_URL"

# Rows that migrations seed, with the condition selecting the ones tests may
# delete; None keeps the whole table.
SEEDED_ROWS = {"roles": "builtin = false", "role_permissions": None}


# --- Databases ----------------------------------------------------------------


@contextmanager
def empty_database(directory: Path, base_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a new, empty database, removed when the block ends.

    :param directory: where a SQLite file is created.
    :param base_url: a PostgreSQL URL; the new database is created next to
        the one it names, on the same server. ``None`` or ``""`` means SQLite.
    """
    if not base_url:
        yield f"sqlite:///{directory / f'access-platform-{secrets.token_hex(4)}.sqlite'}"
        return

    url = make_url(base_url)
    name = f"access_platform_test_{secrets.token_hex(4)}"
    admin_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@contextmanager
def migrated_database(directory: Path, base_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a new database migrated to the latest schema."""
    from access_platform.migrate import upgrade_to_head

    with empty_database(directory, base_url) as url:
        upgrade_to_head(url)
        yield url


def delete_rows(database_url: str) -> None:
    """Delete every row that tests wrote, keeping what the migrations seeded."""
    from access_platform.models import Base

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in SEEDED_ROWS:
                    condition = SEEDED_ROWS[table.name]
                    if condition is not None:
                        connection.execute(table.delete().where(sa.text(condition)))
                    continue
                connection.execute(table.delete())
    finally:
        engine.dispose()


# --- Principals -----------------------------------------------------------------


@dataclass
class Principal:
    """A user created for a test, with an API key to call the API as that user."""

    user_id: str
    user_name: str
    api_key: str
    api_key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


class Factory:
    """Creates users, keys and SCIM tokens directly in the database, for test set-up."""

    def __init__(self, registry: Any) -> None:
        self.session_factory = registry.db_session_factory

    def user(
        self,
        user_name: str | None = None,
        *,
        status: str = "active",
        password: str | None = None,
        admin: bool = False,
        key_expires_at: datetime | None = None,
    ) -> Principal:
        """Create a user with an API key; ``admin=True`` grants the tenant administrator role."""
        from access_platform.auth.passwords import hash_password
        from access_platform.auth.services import issue_api_key
        from access_platform.db import session_scope
        from access_platform.rbac.models import TENANT_ADMIN_ROLE_ID
        from access_platform.rbac.services import assign_role
        from access_platform.users.models import User

        user_name = user_name or f"user-{secrets.token_hex(4)}@example.com"
        with session_scope(self.session_factory) as dbsession:
            user = User(
                user_name=user_name,
                display_name=user_name,
                status=status,
                password_hash=hash_password(password) if password else None,
            )
            dbsession.add(user)
            dbsession.flush()
            if admin:
                assign_role(dbsession, TENANT_ADMIN_ROLE_ID, user.id)
            issued = issue_api_key(dbsession, user, "test key", key_expires_at)
            return Principal(user.id, user_name, issued.secret, issued.api_key.id)

    def scim_token(
        self,
        *,
        scopes: tuple[str, ...] = ("read", "write"),
        expires_at: datetime | None = None,
        revoked: bool = False,
    ) -> str:
        """Issue a SCIM bearer token and return its secret."""
        from access_platform.db import session_scope, utcnow
        from access_platform.scim.services import issue_scim_token

        with session_scope(self.session_factory) as dbsession:
            issued = issue_scim_token(dbsession, "test token", None, expires_at, scopes)
            if revoked:
                issued.token.revoked_at = utcnow()
            return issued.secret

    def update(self, model: type, row_id: str, **fields: Any) -> None:
        """Set ``fields`` on one row and commit."""
        from access_platform.db import session_scope

        with session_scope(self.session_factory) as dbsession:
            row = dbsession.get(model, row_id)
            for name, value in fields.items():
                setattr(row, name, value)

    def get(self, model: type, row_id: str) -> Any:
        """Return one row, detached from its session."""
        from access_platform.db import session_scope

        with session_scope(self.session_factory) as dbsession:
            return dbsession.get(model, row_id)


# --- The app ----------------------------------------------------------------------


@dataclass
class Platform:
    """A running app for one test: the WSGI app, a client and an administrator."""

    wsgi_app: Any
    testapp: webtest.TestApp
    factory: Factory
    admin: Principal

    @property
    def registry(self) -> Any:
        return self.wsgi_app.app.registry

    @property
    def settings(self) -> dict[str, Any]:
        """The parsed settings the app runs with."""
        return self.registry.settings

    def scim_headers(self, **token_options: Any) -> dict[str, str]:
        """Issue a SCIM token and return the ``Authorization`` header that carries it."""
        return {"Authorization": f"Bearer {self.factory.scim_token(**token_options)}"}


def ini_settings(ini_file: str | os.PathLike[str], name: str = "main") -> dict[str, str]:
    """Return the raw settings of the ``[app:<name>]`` section of an ini file."""
    from pyramid.paster import get_appsettings

    path = Path(ini_file).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"ini file not found: {path}")
    return dict(get_appsettings(str(path), name=name))


def build_platform(
    database_url: str,
    *,
    ini_file: str | os.PathLike[str] | None = None,
    settings: Mapping[str, str] | None = None,
    admin_user_name: str = "admin@example.com",
) -> Platform:
    """Build the real app and create an administrator.

    Settings come from the ``[app:main]`` section of ``ini_file`` when one is
    given, then from ``settings``. The database is always ``database_url``, so
    an ini file written for a workstation or a server can be tested as it is.
    """
    import webtest

    from access_platform import main

    raw: dict[str, str] = ini_settings(ini_file) if ini_file is not None else {}
    raw.setdefault("access_platform.session.cookie_secure", "false")
    raw.update(settings or {})
    raw["sqlalchemy.url"] = database_url
    raw.pop("sqlalchemy.url_env", None)

    wsgi_app = main({}, **raw)
    factory = Factory(wsgi_app.app.registry)
    admin = factory.user(admin_user_name, admin=True)
    testapp = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    return Platform(wsgi_app, testapp, factory, admin)


# --- pytest fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def platform_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to the latest schema, for the whole test session."""
    directory = tmp_path_factory.mktemp("access-platform-db")
    with migrated_database(directory, os.environ.get(DATABASE_URL_VARIABLE)) as url:
        yield url


@pytest.fixture
def platform(platform_database_url: str) -> Iterator[Callable[..., Platform]]:
    """Build the app for this test; see :func:`build_platform` for the arguments.

    Each call builds a new app on the session's database. When the test ends,
    every row it wrote is deleted.
    """
    built: list[Platform] = []

    def build(
        ini_file: str | os.PathLike[str] | None = None,
        settings: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Platform:
        # Each app after the first gets its own administrator.
        if built and "admin_user_name" not in options:
            options["admin_user_name"] = f"admin-{len(built)}@example.com"
        running = build_platform(
            platform_database_url, ini_file=ini_file, settings=settings, **options
        )
        built.append(running)
        return running

    yield build

    for running in built:
        running.registry.db_engine.dispose()
    delete_rows(platform_database_url)
