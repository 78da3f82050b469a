"""The test kit that plugin authors import: the real app from an ini file, on a fresh database."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
import sqlalchemy as sa

from access_platform.testing import ini_settings


def test_kit_is_a_pytest_plugin() -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")

    assert "access_platform.testing" in {entry_point.value for entry_point in entry_points}


def test_app_from_development_ini(platform, project_root: Path) -> None:
    running = platform(ini_file=project_root / "development.ini")

    listing = running.testapp.get("/api/v1/users", headers=running.admin.headers, status=200)

    assert [user["user_name"] for user in listing.json["items"]] == ["admin@example.com"]
    # The database is the kit's, never the one the ini file names.
    assert "var/access-platform.sqlite" not in running.settings["sqlalchemy.url"]


def test_plugin_enabled_by_settings(
    platform, project_root: Path, sample_plugins_installed: None
) -> None:
    running = platform(
        ini_file=project_root / "development.ini",
        settings={
            "access_platform.plugins": "sample",
            "access_platform.sample.greeting": "hello from the kit",
        },
    )

    answer = running.testapp.get("/api/v1/sample-greeting", headers=running.admin.headers)

    assert answer.json == {"greeting": "hello from the kit"}


def test_second_app_shares_the_database(platform) -> None:
    first = platform()
    second = platform()

    created = first.testapp.post_json(
        "/api/v1/users", {"user_name": "shared@example.com"}, headers=first.admin.headers
    )

    assert second.admin.user_name != first.admin.user_name
    second.testapp.get(
        f"/api/v1/users/{created.json['id']}", headers=second.admin.headers, status=200
    )


def test_scim_headers_authenticate(platform) -> None:
    running = platform()

    answer = running.testapp.get("/scim/v2/Users", headers=running.scim_headers(), status=200)

    assert answer.json["totalResults"] == 1


def test_rows_deleted_after_each_test(platform, platform_database_url: str) -> None:
    engine = sa.create_engine(platform_database_url)
    try:
        with engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
    finally:
        engine.dispose()

    assert count == 0


def test_missing_ini_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.ini"):
        ini_settings(tmp_path / "missing.ini")
