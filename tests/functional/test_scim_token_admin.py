"""Issuing, listing and revoking SCIM tokens through /api/v1/admin/scim/tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from access_platform.db import utcnow

TOKENS = "/api/v1/admin/scim/tokens"
CONFIG = "/scim/v2/ServiceProviderConfig"


def issue(testapp, headers, status=201, **body):
    body.setdefault("name", "Entra ID")
    return testapp.post_json(TOKENS, body, headers=headers, status=status)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_issue_returns_secret_once(testapp, admin):
    response = issue(testapp, admin.headers)

    body = response.json
    assert response.headers["Location"].endswith(f"{TOKENS}/{body['id']}")
    assert body["token"].startswith(f"scim_{body['prefix']}_")
    assert body["scopes"] == ["read", "write"]
    assert body["status"] == "active"
    assert body["created_by"] == admin.user_id
    listed = testapp.get(TOKENS, headers=admin.headers).json["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "token" not in listed[0]
    assert body["token"] not in testapp.get(f"{TOKENS}/{body['id']}", headers=admin.headers).text


def test_issued_token_authenticates_scim(testapp, admin):
    token = issue(testapp, admin.headers).json["token"]

    testapp.get(CONFIG, headers=bearer(token), status=200)

    listed = testapp.get(TOKENS, headers=admin.headers).json["items"][0]
    assert listed["last_used_at"] is not None


def test_revoke_takes_effect_on_next_request(testapp, admin):
    issued = issue(testapp, admin.headers).json
    testapp.get(CONFIG, headers=bearer(issued["token"]), status=200)

    revoked = testapp.post(f"{TOKENS}/{issued['id']}/revoke", headers=admin.headers, status=200)

    assert revoked.json["status"] == "revoked"
    assert revoked.json["revoked_at"] is not None
    testapp.get(CONFIG, headers=bearer(issued["token"]), status=401)
    again = testapp.post(f"{TOKENS}/{issued['id']}/revoke", headers=admin.headers, status=200)
    assert again.json["revoked_at"] == revoked.json["revoked_at"]


def test_token_with_expiry(testapp, admin):
    expiry = (utcnow() + timedelta(days=30)).isoformat()

    body = issue(testapp, admin.headers, expires_at=expiry).json

    assert body["expires_at"].startswith(expiry[:19])
    testapp.get(CONFIG, headers=bearer(body["token"]), status=200)


def test_read_only_token(testapp, admin):
    body = issue(testapp, admin.headers, scopes=["read"]).json

    assert body["scopes"] == ["read"]
    testapp.get(CONFIG, headers=bearer(body["token"]), status=200)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": ""}, "#/name"),
        ({"name": "   "}, "#/name"),
        ({"name": 3}, "#/name"),
        ({"name": "x" * 256}, "#/name"),
        ({"expires_at": "tomorrow"}, "#/expires_at"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "#/expires_at"),
        ({"expires_at": "2099-01-01T00:00:00"}, "#/expires_at"),
        ({"scopes": []}, "#/scopes"),
        ({"scopes": ["admin"]}, "#/scopes/0"),
        ({"scopes": ["read", "read"]}, "#/scopes"),
        ({"secret": "mine"}, "#/secret"),
    ],
)
def test_invalid_token_request_gets_422(testapp, admin, body, pointer):
    response = issue(testapp, admin.headers, status=422, **body)

    assert pointer in {error["pointer"] for error in response.json["errors"]}
    assert testapp.get(TOKENS, headers=admin.headers).json["items"] == []


def test_token_admin_needs_permission(testapp, factory):
    reader = factory.user()
    issue(testapp, reader.headers, status=403)
    testapp.get(TOKENS, headers=reader.headers, status=403)
    testapp.get(TOKENS, status=401)
    testapp.post(f"{TOKENS}/missing/revoke", status=401)


def test_revoke_unknown_token_gets_404(testapp, admin):
    testapp.post(f"{TOKENS}/missing/revoke", headers=admin.headers, status=404)


def test_scim_token_cannot_manage_tokens(testapp, admin):
    token = issue(testapp, admin.headers).json["token"]
    testapp.get(TOKENS, headers=bearer(token), status=401)
