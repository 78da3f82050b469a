"""Browser sessions: login, the session cookie, CSRF, logout, over HTTP."""

from __future__ import annotations

from access_platform.auth.models import BrowserSession
from access_platform.db import utcnow
from access_platform.users.models import User

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
SESSION = "/api/v1/auth/session"
USERS = "/api/v1/users"
PASSWORD = "correct horse battery staple"
COOKIE = "access_platform_session"


def log_in(testapp, user_name, password=PASSWORD, status=200):
    return testapp.post_json(LOGIN, {"user_name": user_name, "password": password}, status=status)


def test_login_sets_http_only_lax_cookie(testapp, factory):
    principal = factory.user(password=PASSWORD)

    response = log_in(testapp, principal.user_name)

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/api/v1" in cookie
    # The test settings, like development.ini, turn Secure off for plain HTTP.
    assert "secure" not in cookie.lower()
    assert response.json["user"]["id"] == principal.user_id
    assert response.json["csrf_token"]


def test_cookie_authenticates_session_request(testapp, factory):
    principal = factory.user(password=PASSWORD, admin=True)
    login = log_in(testapp, principal.user_name)

    response = testapp.get(SESSION, status=200)

    assert response.json["auth_method"] == "session"
    assert response.json["user"]["id"] == principal.user_id
    assert response.json["csrf_token"] == login.json["csrf_token"]


def test_login_accepts_user_name_in_any_case(testapp, factory):
    principal = factory.user("Mixed.Case@example.com", password=PASSWORD)
    response = log_in(testapp, "mixed.case@EXAMPLE.com")
    assert response.json["user"]["id"] == principal.user_id


def test_wrong_password_and_unknown_user_look_alike(testapp, factory):
    principal = factory.user(password=PASSWORD)

    wrong_password = log_in(testapp, principal.user_name, "wrong password", status=401)
    unknown_user = log_in(testapp, "nobody@example.com", PASSWORD, status=401)

    assert wrong_password.content_type == "application/problem+json"
    assert wrong_password.json["detail"] == unknown_user.json["detail"]
    assert wrong_password.json["type"] == unknown_user.json["type"]
    assert "Set-Cookie" not in wrong_password.headers


def test_deactivated_user_cannot_log_in(testapp, factory):
    principal = factory.user(password=PASSWORD, status="deactivated")
    log_in(testapp, principal.user_name, status=401)


def test_login_rejects_unknown_fields(testapp):
    response = testapp.post_json(
        LOGIN, {"user_name": "a", "password": "b", "remember": True}, status=422
    )
    assert {"pointer": "#/remember", "detail": "Unknown field."} in response.json["errors"]


def test_cookie_post_without_csrf_token_gets_403(testapp, factory):
    principal = factory.user(password=PASSWORD, admin=True)
    log_in(testapp, principal.user_name)

    response = testapp.post_json(USERS, {"user_name": "new@example.com"}, status=403)

    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:access-platform:problem:csrf-token-invalid"
    assert response.json["status"] == 403


def test_cookie_post_with_wrong_csrf_token_gets_403(testapp, factory):
    principal = factory.user(password=PASSWORD, admin=True)
    log_in(testapp, principal.user_name)

    response = testapp.post_json(
        USERS, {"user_name": "new@example.com"}, headers={"X-CSRF-Token": "forged"}, status=403
    )

    assert response.json["type"] == "urn:access-platform:problem:csrf-token-invalid"
    testapp.get(f"{USERS}/does-not-matter", status=404)


def test_cookie_post_with_csrf_token_succeeds(testapp, factory):
    principal = factory.user(password=PASSWORD, admin=True)
    token = log_in(testapp, principal.user_name).json["csrf_token"]

    response = testapp.post_json(
        USERS, {"user_name": "new@example.com"}, headers={"X-CSRF-Token": token}, status=201
    )

    assert response.json["user_name"] == "new@example.com"


def test_logout_revokes_session_on_server(testapp, factory):
    principal = factory.user(password=PASSWORD)
    login = log_in(testapp, principal.user_name)
    cookie_value = testapp.cookies[COOKIE]

    testapp.post(LOGOUT, headers={"X-CSRF-Token": login.json["csrf_token"]}, status=204)

    # Replaying the old cookie value must fail: the server revoked it.
    testapp.set_cookie(COOKIE, cookie_value)
    testapp.get(SESSION, status=401)


def test_logout_needs_csrf_token(testapp, factory):
    principal = factory.user(password=PASSWORD)
    log_in(testapp, principal.user_name)

    testapp.post(LOGOUT, status=403)

    testapp.get(SESSION, status=200)


def test_session_of_deactivated_user_stops_working(testapp, factory):
    principal = factory.user(password=PASSWORD)
    log_in(testapp, principal.user_name)
    testapp.get(SESSION, status=200)

    factory.update(User, principal.user_id, status="deactivated")

    testapp.get(SESSION, status=401)


def test_expired_session_gets_401(testapp, factory):
    principal = factory.user(password=PASSWORD)
    session_id = log_in(testapp, principal.user_name).json["credential_id"]

    factory.update(BrowserSession, session_id, expires_at=utcnow())

    testapp.get(SESSION, status=401)


def test_revoked_session_gets_401(testapp, factory):
    principal = factory.user(password=PASSWORD)
    session_id = log_in(testapp, principal.user_name).json["credential_id"]

    factory.update(BrowserSession, session_id, revoked_at=utcnow())

    testapp.get(SESSION, status=401)


def test_session_cookie_is_rejected_on_scim(testapp, factory):
    principal = factory.user(password=PASSWORD)
    log_in(testapp, principal.user_name)

    response = testapp.get("/scim/v2/ServiceProviderConfig", status=401)

    assert response.content_type == "application/scim+json"


def test_session_cookie_value_is_never_stored(testapp, factory):
    principal = factory.user(password=PASSWORD)
    session_id = log_in(testapp, principal.user_name).json["credential_id"]

    stored = factory.get(BrowserSession, session_id)

    assert testapp.cookies[COOKIE] != stored.token_digest


def test_logout_with_api_key_gets_409(testapp, admin):
    response = testapp.post(LOGOUT, headers=admin.headers, status=409)
    assert response.content_type == "application/problem+json"
