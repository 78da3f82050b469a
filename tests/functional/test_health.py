"""Health endpoints and the 503 for an unreachable database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest

from access_platform import main
from access_platform.migrate import script_heads


def test_healthz_needs_no_credentials(testapp):
    assert testapp.get("/healthz", status=200).json == {"status": "ok"}


def test_readyz_reports_schema_revision(testapp):
    body = testapp.get("/readyz", status=200).json
    assert body["status"] == "ready"
    assert body["schema_revision"] == sorted(script_heads())


def test_readyz_is_503_before_migrations(tmp_path):
    app = main({}, **{"sqlalchemy.url": f"sqlite:///{tmp_path / 'empty.sqlite'}"})

    response = webtest.TestApp(app).get("/readyz", status=503)

    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:access-platform:problem:migrations-pending"
    assert "access-platform migrate" in response.json["detail"]


def test_app_start_creates_no_tables(tmp_path):
    path = tmp_path / "untouched.sqlite"
    main({}, **{"sqlalchemy.url": f"sqlite:///{path}"})

    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.fixture
def unreachable_database_app():
    # Port 1 on loopback refuses connections at once.
    return webtest.TestApp(
        main({}, **{"sqlalchemy.url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    )


def test_unreachable_database_gives_503_on_api(unreachable_database_app):
    response = unreachable_database_app.get(
        "/api/v1/auth/session", headers={"X-API-Key": "apk_0123456789ab_" + "x" * 43}, status=503
    )

    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 503
    assert response.json["type"] == "urn:access-platform:problem:database-unavailable"
    assert response.headers["Retry-After"] == "5"


def test_unreachable_database_gives_503_on_readyz(unreachable_database_app):
    response = unreachable_database_app.get("/readyz", status=503)
    assert response.json["type"] == "urn:access-platform:problem:database-unavailable"


def test_unreachable_database_gives_scim_503(unreachable_database_app):
    response = unreachable_database_app.get(
        "/scim/v2/ServiceProviderConfig",
        headers={"Authorization": "Bearer scim_0123456789ab_" + "x" * 43},
        status=503,
    )
    assert response.content_type == "application/scim+json"
    assert response.json["status"] == "503"
