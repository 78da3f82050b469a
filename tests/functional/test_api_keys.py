"""API-key authentication on /api/v1, over HTTP."""

from __future__ import annotations

from datetime import timedelta

from access_platform.auth.models import ApiKey
from access_platform.db import utcnow
from access_platform.users.models import User

SESSION = "/api/v1/auth/session"
PROBLEM = "application/problem+json"


def assert_unauthenticated(response) -> None:
    assert response.status_int == 401
    assert response.content_type == PROBLEM
    assert response.json["status"] == 401
    assert response.json["instance"] == SESSION
    assert "X-API-Key" in response.headers["WWW-Authenticate"]


def test_valid_key_identifies_its_owner(testapp, admin):
    response = testapp.get(SESSION, headers=admin.headers, status=200)

    assert response.json["auth_method"] == "api_key"
    assert response.json["credential_id"] == admin.api_key_id
    assert response.json["user"]["id"] == admin.user_id
    assert response.json["csrf_token"] is None
    assert "password" not in response.json["user"]


def test_valid_key_records_last_use(testapp, admin, factory):
    assert factory.get(ApiKey, admin.api_key_id).last_used_at is None

    testapp.get(SESSION, headers=admin.headers, status=200)

    assert factory.get(ApiKey, admin.api_key_id).last_used_at is not None


def test_missing_credentials_get_401(testapp):
    assert_unauthenticated(testapp.get(SESSION, status=401))


def test_unknown_key_gets_401(testapp, admin):
    forged = admin.api_key[:-4] + "AAAA"
    assert_unauthenticated(testapp.get(SESSION, headers={"X-API-Key": forged}, status=401))


def test_malformed_key_gets_401(testapp):
    assert_unauthenticated(testapp.get(SESSION, headers={"X-API-Key": "not-a-key"}, status=401))


def test_expired_key_gets_401(testapp, factory):
    principal = factory.user(key_expires_at=utcnow() - timedelta(seconds=1))
    assert_unauthenticated(testapp.get(SESSION, headers=principal.headers, status=401))


def test_key_before_expiry_works(testapp, factory):
    principal = factory.user(key_expires_at=utcnow() + timedelta(hours=1))
    testapp.get(SESSION, headers=principal.headers, status=200)


def test_revoked_key_gets_401(testapp, factory, admin):
    testapp.get(SESSION, headers=admin.headers, status=200)

    factory.update(ApiKey, admin.api_key_id, revoked_at=utcnow())

    assert_unauthenticated(testapp.get(SESSION, headers=admin.headers, status=401))


def test_key_of_deactivated_user_stops_working(testapp, factory, admin):
    testapp.get(SESSION, headers=admin.headers, status=200)

    factory.update(User, admin.user_id, status="deactivated")

    assert_unauthenticated(testapp.get(SESSION, headers=admin.headers, status=401))


def test_key_of_invited_user_gets_401(testapp, factory):
    principal = factory.user(status="invited")
    assert_unauthenticated(testapp.get(SESSION, headers=principal.headers, status=401))


def test_unsafe_request_with_key_needs_no_csrf_token(testapp, admin):
    response = testapp.post_json(
        "/api/v1/users", {"user_name": "someone@example.com"}, headers=admin.headers, status=201
    )
    assert response.json["user_name"] == "someone@example.com"


def test_key_without_permission_gets_403(testapp, factory):
    principal = factory.user()

    response = testapp.post_json(
        "/api/v1/users", {"user_name": "x@example.com"}, headers=principal.headers, status=403
    )

    assert response.content_type == PROBLEM
    assert response.json["status"] == 403
    assert "users.write" in response.json["detail"]
    assert "WWW-Authenticate" not in response.headers


def test_scim_token_is_rejected_on_api(testapp, scim_headers):
    response = testapp.get(SESSION, headers=scim_headers, status=401)
    assert_unauthenticated(response)


def test_key_secret_is_never_stored(factory, admin):
    stored = factory.get(ApiKey, admin.api_key_id)
    assert admin.api_key not in (stored.secret_digest, stored.prefix, stored.name)
    assert stored.prefix in admin.api_key


def test_key_use_recorded_after_a_concurrent_commit(testapp, admin, factory, registry, monkeypatch):
    # Another writer commits between the key lookup and the last-use update
    # of a read-only request. On SQLite that makes a write inside the
    # request's read transaction fail at once, so the update has its own.
    from access_platform.auth import services

    find_api_key = services.find_api_key
    other_user = factory.user("other-writer@example.com")

    def find_then_let_another_writer_commit(dbsession, secret):
        found = find_api_key(dbsession, secret)
        factory.update(User, other_user.user_id, display_name=f"written {utcnow()}")
        return found

    monkeypatch.setattr(services, "find_api_key", find_then_let_another_writer_commit)

    testapp.get(f"/api/v1/users/{admin.user_id}", headers=admin.headers, status=200)

    assert factory.get(ApiKey, admin.api_key_id).last_used_at is not None
