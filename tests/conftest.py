"""Fixtures shared by every test: a migrated database, the app, and principals to call it with.

The suite runs against SQLite by default. Set ``ACCESS_PLATFORM_TEST_DATABASE_URL``
to a PostgreSQL URL (for example ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run it against PostgreSQL: the suite then creates a database of its own
next to that one, migrates it, and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from access_platform import main
from access_platform.auth.passwords import hash_password
from access_platform.auth.services import issue_api_key
from access_platform.db import session_scope, utcnow
from access_platform.migrate import upgrade_to_head
from access_platform.models import Base
from access_platform.rbac.models import TENANT_ADMIN_ROLE_ID
from access_platform.rbac.services import assign_role
from access_platform.scim.services import issue_scim_token
from access_platform.users.models import User
from tests.log_secrets import IssuedSecrets, LogRecorder, install

DATABASE_URL_VARIABLE = "ACCESS_PLATFORM_TEST_DATABASE_URL"

# Each property-based test draws 150 examples, and those that send HTTP
# requests a quarter of that. The "thorough" profile, chosen with
# ACCESS_PLATFORM_HYPOTHESIS_PROFILE=thorough, draws 3000 for a longer
# search outside the regular suite. Failing examples are not saved between
# runs, so every run draws afresh; Hypothesis still caches in .hypothesis/.
HYPOTHESIS_PROFILE_VARIABLE = "ACCESS_PLATFORM_HYPOTHESIS_PROFILE"
hypothesis_settings.register_profile(
    "default",
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("default"), max_examples=3000
)
hypothesis_settings.load_profile(os.environ.get(HYPOTHESIS_PROFILE_VARIABLE, "default"))

# The secrets issued and the log records written during the run, which
# tests/test_log_secrets.py compares as the last test of the session.
LOG_SECRETS = pytest.StashKey[tuple[IssuedSecrets, LogRecorder]]()
_LOG_SECRETS_UNDO = pytest.StashKey[list[Any]]()
LEAK_TEST = "test_log_secrets.py::test_no_issued_secret_in_logs"


def pytest_configure(config: pytest.Config) -> None:
    issued, recorder = IssuedSecrets(), LogRecorder()
    patcher = pytest.MonkeyPatch()
    uninstall = install(patcher, issued, recorder)
    config.stash[LOG_SECRETS] = (issued, recorder)
    config.stash[_LOG_SECRETS_UNDO] = [uninstall, patcher.undo]


def pytest_unconfigure(config: pytest.Config) -> None:
    for undo in config.stash.get(_LOG_SECRETS_UNDO, []):
        undo()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The leak check reads what every other test logged, so it runs last.
    last = [item for item in items if item.nodeid.endswith(LEAK_TEST)]
    items[:] = [item for item in items if item not in last] + last


# Rows that migrations seed; the per-test cleanup keeps them.
SEEDED_ROWS = {"roles": "builtin = false", "role_permissions": None}


def _create_postgres_database(base_url: str) -> tuple[str, sa.Engine, str]:
    url = make_url(base_url)
    name = f"access_platform_test_{secrets.token_hex(4)}"
    admin_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), admin_engine, name


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated from empty to head, for the whole test session."""
    base_url = os.environ.get(DATABASE_URL_VARIABLE, "")
    if not base_url:
        path = tmp_path_factory.mktemp("db") / "access-platform.sqlite"
        url = f"sqlite:///{path}"
        upgrade_to_head(url)
        yield url
        return

    url, admin_engine, name = _create_postgres_database(base_url)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, for migration tests."""
    base_url = os.environ.get(DATABASE_URL_VARIABLE, "")
    if not base_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return

    url, admin_engine, name = _create_postgres_database(base_url)
    try:
        yield url
    finally:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def app_settings(database_url: str) -> dict[str, str]:
    return {
        "sqlalchemy.url": database_url,
        "access_platform.session.cookie_secure": "false",
        "retry.attempts": "3",
    }


@pytest.fixture(scope="session")
def wsgi_app(app_settings: dict[str, str]) -> Any:
    return main({}, **app_settings)


@pytest.fixture
def registry(wsgi_app: Any) -> Any:
    return wsgi_app.app.registry


@pytest.fixture
def testapp(wsgi_app: Any) -> webtest.TestApp:
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Delete every row a test wrote, keeping what migrations seeded."""
    yield
    if "database_url" not in request.fixturenames:
        return
    url = request.getfixturevalue("database_url")
    engine = sa.create_engine(url)
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
    """Creates users, keys and tokens directly in the database, for test set-up."""

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
        with session_scope(self.session_factory) as dbsession:
            issued = issue_scim_token(dbsession, "test token", None, expires_at, scopes)
            if revoked:
                issued.token.revoked_at = utcnow()
            return issued.secret

    def update(self, model: type, row_id: str, **fields: Any) -> None:
        with session_scope(self.session_factory) as dbsession:
            row = dbsession.get(model, row_id)
            for name, value in fields.items():
                setattr(row, name, value)

    def get(self, model: type, row_id: str) -> Any:
        with session_scope(self.session_factory) as dbsession:
            return dbsession.get(model, row_id)


@pytest.fixture
def factory(registry: Any) -> Factory:
    return Factory(registry)


@pytest.fixture
def admin(factory: Factory) -> Principal:
    """A user holding the built-in tenant administrator role."""
    return factory.user("admin@example.com", admin=True)


@pytest.fixture
def scim_headers(factory: Factory) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.scim_token()}"}


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_plugins_installed(project_root: Path) -> Iterator[None]:
    """Put the throwaway plugins of tests/plugin_fixtures on the import path.

    The folder holds a ``dist-info`` directory, so ``importlib.metadata``
    finds their entry points exactly as it finds an installed distribution's.
    """
    folder = str(project_root / "tests" / "plugin_fixtures")
    sys.path.insert(0, folder)
    yield
    sys.path.remove(folder)


@pytest.fixture(scope="session")
def plugin_app(app_settings: dict[str, str], sample_plugins_installed: None) -> Any:
    """The app with the sample plugin enabled and configured."""
    settings = dict(app_settings)
    settings["access_platform.plugins"] = "sample"
    settings["access_platform.sample.greeting"] = "hello from the ini file"
    return main({}, **settings)


@pytest.fixture
def plugin_testapp(plugin_app: Any) -> webtest.TestApp:
    return webtest.TestApp(plugin_app, extra_environ={"HTTP_HOST": "localhost"})
