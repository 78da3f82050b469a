"""Fixtures shared by every test: a migrated database, the app, and principals to call it with.

The suite runs against SQLite by default. Set ``ACCESS_PLATFORM_TEST_DATABASE_URL``
to a PostgreSQL URL (for example ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run it against PostgreSQL: the suite then creates a database of its own
next to that one, migrates it, and drops it at the end.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from access_platform import main
from access_platform.testing import (
    DATABASE_URL_VARIABLE,
    Factory,
    Principal,
    delete_rows,
    empty_database,
    migrated_database,
)
from tests.log_secrets import IssuedSecrets, LogRecorder, install

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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated from empty to head, for the whole test session."""
    directory = tmp_path_factory.mktemp("db")
    with migrated_database(directory, os.environ.get(DATABASE_URL_VARIABLE)) as url:
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, for migration tests."""
    with empty_database(tmp_path, os.environ.get(DATABASE_URL_VARIABLE)) as url:
        yield url


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
    if "database_url" in request.fixturenames:
        delete_rows(request.getfixturevalue("database_url"))


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
