"""JWT bearer tokens on /api/v1, end to end: the app from oidc_test.ini, called over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from oidc_helpers import (
    AUDIENCE,
    ISSUER,
    OMIT,
    SigningKey,
    add_user,
    base64url,
    bearer,
    claims_for,
    ec_key,
    mint,
    unsigned_token,
)

CORE_API_DETAIL = (
    "Authentication required: send an X-API-Key header, a session cookie, "
    "or a credential of a method that WWW-Authenticate names."
)


def auth_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("authentication failed")
    ]


# --- Accepted tokens ------------------------------------------------------------


def test_rs256_token_reads_user(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    caller = add_user(running, admin=True, external_id="idp-rs-1")
    target = add_user(running)

    response = running.testapp.get(
        f"/api/v1/users/{target.user_id}",
        headers=bearer(mint(rsa_signing_key, "idp-rs-1")),
        status=200,
    )

    assert response.json["id"] == target.user_id
    session = running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-rs-1")), status=200
    )
    assert session.json["auth_method"] == "oidc"
    assert session.json["user"]["id"] == caller.user_id
    assert session.json["csrf_token"] is None


def test_es256_token_reads_user(oidc_platform, ec_signing_key) -> None:
    running = oidc_platform()
    add_user(running, admin=True, external_id="idp-ec-1")
    target = add_user(running)

    response = running.testapp.get(
        f"/api/v1/users/{target.user_id}",
        headers=bearer(mint(ec_signing_key, "idp-ec-1")),
        status=200,
    )

    assert response.json["id"] == target.user_id


def test_jti_is_credential_id(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    add_user(running, external_id="idp-jti")

    session = running.testapp.get(
        "/api/v1/auth/session",
        headers=bearer(mint(rsa_signing_key, "idp-jti", jti="token-42")),
        status=200,
    )

    assert session.json["credential_id"] == "token-42"


def test_non_admin_token_gets_403(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    add_user(running, external_id="idp-plain")

    response = running.testapp.get(
        f"/api/v1/users/{running.admin.user_id}",
        headers=bearer(mint(rsa_signing_key, "idp-plain")),
        status=403,
    )

    assert response.content_type == "application/problem+json"


def test_unsafe_request_needs_no_csrf_token(oidc_platform, ec_signing_key) -> None:
    running = oidc_platform()
    add_user(running, admin=True, external_id="idp-writer")

    created = running.testapp.post_json(
        "/api/v1/users",
        {"user_name": "made-by-jwt@example.com"},
        headers=bearer(mint(ec_signing_key, "idp-writer")),
        status=201,
    )

    assert created.json["user_name"] == "made-by-jwt@example.com"


def test_expired_within_leeway_accepted(oidc_platform, rsa_signing_key) -> None:
    # oidc_test.ini allows 30 seconds of clock skew.
    running = oidc_platform()
    add_user(running, external_id="idp-skew")
    now = int(time.time())

    running.testapp.get(
        "/api/v1/auth/session",
        headers=bearer(mint(rsa_signing_key, "idp-skew", exp=now - 10, iat=now - 300)),
        status=200,
    )


def test_audience_list_accepted(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    add_user(running, external_id="idp-aud")

    running.testapp.get(
        "/api/v1/auth/session",
        headers=bearer(mint(rsa_signing_key, "idp-aud", aud=["other-api", AUDIENCE])),
        status=200,
    )


def test_user_claim_matches_user_name_ignoring_case(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform(user_claim="preferred_username", user_attribute="user_name")
    user = add_user(running, "Dana@Example.com")

    session = running.testapp.get(
        "/api/v1/auth/session",
        headers=bearer(mint(rsa_signing_key, "ignored", preferred_username="dana@example.COM")),
        status=200,
    )

    assert session.json["user"]["id"] == user.user_id


def test_user_claim_matches_email(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform(user_claim="email", user_attribute="email")
    user = add_user(running, email="Erin@Example.com")

    session = running.testapp.get(
        "/api/v1/auth/session",
        headers=bearer(mint(rsa_signing_key, "ignored", email="erin@example.com")),
        status=200,
    )

    assert session.json["user"]["id"] == user.user_id


def test_unverified_email_rejected(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform(user_claim="email", user_attribute="email")
    add_user(running, email="frank@example.com")
    caplog.set_level(logging.INFO)
    token = mint(rsa_signing_key, "ignored", email="frank@example.com", email_verified=False)

    running.testapp.get("/api/v1/auth/session", headers=bearer(token), status=401)

    assert "email_verified is false" in auth_failures(caplog)[0]


def test_user_claim_matches_id(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform(user_attribute="id")
    user = add_user(running)

    session = running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, user.user_id)), status=200
    )

    assert session.json["user"]["id"] == user.user_id


# --- Rejected tokens --------------------------------------------------------------


def hs256_signed_with_public_key(rsa_signing_key: SigningKey, subject: str) -> str:
    """Sign with HMAC, using the issuer's public RSA key as the secret: algorithm confusion."""
    header = base64url(json.dumps({"alg": "HS256", "kid": rsa_signing_key.kid}).encode())
    payload = base64url(json.dumps(claims_for(subject)).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(rsa_signing_key.public_pem(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{base64url(signature)}"


def tampered(rsa_signing_key: SigningKey, subject: str) -> str:
    """Keep the header and signature of a token for someone else, and swap in new claims."""
    header, _claims, signature = mint(rsa_signing_key, "idp-someone-else").split(".")
    forged = base64url(json.dumps(claims_for(subject)).encode())
    return f"{header}.{forged}.{signature}"


def rejected_token(case: str, rsa_signing_key: SigningKey, impostor_key: SigningKey) -> str:
    """Return a token for ``idp-target`` that the plugin must reject, for one case of the table."""
    now = int(time.time())
    subject = "idp-target"
    builders: dict[str, Callable[[], str]] = {
        "expired": lambda: mint(rsa_signing_key, subject, iat=now - 600, exp=now - 120),
        "not yet valid": lambda: mint(rsa_signing_key, subject, nbf=now + 600),
        "issued in the future": lambda: mint(
            rsa_signing_key, subject, iat=now + 600, exp=now + 900
        ),
        "wrong audience": lambda: mint(rsa_signing_key, subject, aud="some-other-api"),
        "wrong issuer": lambda: mint(rsa_signing_key, subject, iss="https://evil.example.test/"),
        "issuer prefix": lambda: mint(rsa_signing_key, subject, iss=ISSUER.rstrip("/")),
        "wrong key, same kid": lambda: mint(impostor_key, subject),
        "unknown kid": lambda: mint(rsa_signing_key, subject, headers={"kid": "no-such-kid"}),
        "no kid": lambda: mint(SigningKey(None, rsa_signing_key.private_key, "RS256"), subject),
        "alg none": lambda: unsigned_token({"alg": "none", "kid": "rsa-1"}, claims_for(subject)),
        "alg None": lambda: unsigned_token({"alg": "None", "typ": "JWT"}, claims_for(subject)),
        "HS256 with RSA public key": lambda: hs256_signed_with_public_key(rsa_signing_key, subject),
        "ES256 under an RSA kid": lambda: mint(ec_key("rsa-1"), subject),
        "tampered payload": lambda: tampered(rsa_signing_key, subject),
        "missing exp": lambda: mint(rsa_signing_key, subject, exp=OMIT),
        "missing aud": lambda: mint(rsa_signing_key, subject, aud=OMIT),
        "critical header": lambda: mint(rsa_signing_key, subject, headers={"crit": ["exp"]}),
        "missing user claim": lambda: mint(rsa_signing_key, subject, sub=OMIT),
        "numeric sub": lambda: mint(rsa_signing_key, subject, sub=7),
        "too long": lambda: mint(rsa_signing_key, subject, padding="x" * 16384),
    }
    return builders[case]()


# Each case and a fragment of the reason that the log must give for it.
REJECTIONS = {
    "expired": "token expired",
    "not yet valid": "token is not yet valid",
    "issued in the future": "token is not yet valid",
    "wrong audience": "audience not accepted",
    "wrong issuer": "issuer not accepted",
    "issuer prefix": "issuer not accepted",
    "wrong key, same kid": "signature verification failed",
    "unknown kid": "no key has kid 'no-such-kid'",
    "no kid": "the token names no kid",
    "alg none": "algorithm 'none' is not allowed",
    "alg None": "algorithm 'None' is not allowed",
    "HS256 with RSA public key": "algorithm 'HS256' is not allowed",
    "ES256 under an RSA kid": "algorithm ES256 does not fit the key",
    "tampered payload": "signature verification failed",
    "missing exp": "required claim exp is missing",
    "missing aud": "required claim aud is missing",
    "critical header": "critical header extensions",
    "missing user claim": "claim sub is missing",
    "numeric sub": "invalid token: Subject must be a string",
    "too long": "token is longer than 16384 characters",
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_invalid_token_rejected(
    case: str, oidc_platform, rsa_signing_key, impostor_key, caplog
) -> None:
    running = oidc_platform()
    add_user(running, admin=True, external_id="idp-target")
    token = rejected_token(case, rsa_signing_key, impostor_key)
    caplog.set_level(logging.INFO)

    # The administrator's API key rides along: a rejected JWT must end
    # authentication rather than let the next method accept the request.
    headers = {**bearer(token), **running.admin.headers}
    response = running.testapp.get("/api/v1/users", headers=headers, status=401)

    assert response.content_type == "application/problem+json"
    assert 'Bearer realm="api", error="invalid_token"' in response.headers["WWW-Authenticate"]
    failures = auth_failures(caplog)
    assert len(failures) == 1
    assert "method=oidc" in failures[0]
    assert REJECTIONS[case] in failures[0]
    assert token not in caplog.text


def test_rejection_log_names_kid_and_issuer(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform()
    caplog.set_level(logging.INFO)
    token = mint(rsa_signing_key, "idp-anyone", aud="some-other-api")

    running.testapp.get("/api/v1/users", headers=bearer(token), status=401)

    failures = auth_failures(caplog)
    assert f"kid='rsa-1' iss='{ISSUER}'" in failures[0]
    assert token.split(".")[2] not in caplog.text


def test_unknown_user_rejected(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform()
    caplog.set_level(logging.INFO)

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-nobody")), status=401
    )

    assert "no user has external_id 'idp-nobody'" in auth_failures(caplog)[0]


def test_deactivated_user_rejected(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform()
    user = add_user(running, admin=True, external_id="idp-gone", status="deactivated")
    caplog.set_level(logging.INFO)

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-gone")), status=401
    )

    assert f"user {user.user_id} is deactivated" in auth_failures(caplog)[0]


def test_invited_user_rejected(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    add_user(running, external_id="idp-invited", status="invited")

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-invited")), status=401
    )


def test_shared_external_id_rejected(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform()
    add_user(running, external_id="idp-twice")
    add_user(running, external_id="idp-twice")
    caplog.set_level(logging.INFO)

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-twice")), status=401
    )

    assert "more than one user has external_id 'idp-twice'" in auth_failures(caplog)[0]


def test_external_id_matches_case(oidc_platform, rsa_signing_key) -> None:
    running = oidc_platform()
    add_user(running, external_id="IdP-Case")

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-case")), status=401
    )


# --- Other credentials and surfaces ----------------------------------------------


def test_non_jwt_bearer_reaches_api_key(oidc_platform) -> None:
    running = oidc_platform()
    headers = {**bearer("opaque-access-token"), **running.admin.headers}

    session = running.testapp.get("/api/v1/auth/session", headers=headers, status=200)

    assert session.json["auth_method"] == "api_key"


EMPTY_OBJECT = base64url(b"{}")
NON_JWT_TOKENS = {
    "opaque": "opaque-access-token",
    "two parts": f"{EMPTY_OBJECT}.{EMPTY_OBJECT}",
    "five parts": f"{EMPTY_OBJECT}.{EMPTY_OBJECT}.a.b.c",
    "header not an object": f"{base64url(b'[1]')}.{EMPTY_OBJECT}.sig",
    "header without alg": f"{base64url(json.dumps({'typ': 'JWT'}).encode())}.{EMPTY_OBJECT}.sig",
    "not base64url": f"not+base64.{EMPTY_OBJECT}.sig",
}


@pytest.mark.parametrize("token", NON_JWT_TOKENS.values(), ids=NON_JWT_TOKENS.keys())
def test_non_jwt_bearer_gets_normal_401(oidc_platform, token: str, caplog) -> None:
    running = oidc_platform()
    caplog.set_level(logging.INFO)

    response = running.testapp.get("/api/v1/users", headers=bearer(token), status=401)

    assert response.json["detail"] == CORE_API_DETAIL
    assert auth_failures(caplog) == []


def test_challenge_without_credentials(oidc_platform) -> None:
    running = oidc_platform()

    response = running.testapp.get("/api/v1/users", status=401)

    challenges = response.headers["WWW-Authenticate"]
    assert 'Bearer realm="api"' in challenges
    assert "error=" not in challenges
    assert "ApiKey" in challenges


def test_scim_token_works_with_plugin(oidc_platform) -> None:
    running = oidc_platform()

    response = running.testapp.get("/scim/v2/Users", headers=running.scim_headers(), status=200)

    assert response.json["totalResults"] == 1


def test_jwt_on_scim_left_to_scim_method(oidc_platform, rsa_signing_key, caplog) -> None:
    running = oidc_platform()
    add_user(running, admin=True, external_id="idp-scim")
    caplog.set_level(logging.INFO)

    response = running.testapp.get(
        "/scim/v2/Users", headers=bearer(mint(rsa_signing_key, "idp-scim")), status=401
    )

    assert response.headers["WWW-Authenticate"] == 'Bearer realm="scim", error="invalid_token"'
    assert "method=scim_token" in auth_failures(caplog)[0]


# --- Key sources -----------------------------------------------------------------


def test_pem_key_files(oidc_platform, tmp_path, rsa_signing_key, ec_signing_key) -> None:
    rsa_pem = tmp_path / "rsa.pem"
    rsa_pem.write_bytes(rsa_signing_key.public_pem())
    ec_pem = tmp_path / "ec.pem"
    ec_pem.write_bytes(ec_signing_key.public_pem())
    running = oidc_platform(jwks_file="", public_key_files=f"rsa-1={rsa_pem}\n{ec_pem}")
    add_user(running, external_id="idp-pem")
    without_kid = SigningKey(None, ec_signing_key.private_key, "ES256")

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-pem")), status=200
    )
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(without_kid, "idp-pem")), status=200
    )
    # The EC key was listed without a kid, so a token naming one does not find it.
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(ec_signing_key, "idp-pem")), status=401
    )


def test_eddsa_key_from_pem(oidc_platform, tmp_path) -> None:
    signing = SigningKey("ed-1", ed25519.Ed25519PrivateKey.generate(), "EdDSA")
    pem = tmp_path / "ed25519.pem"
    pem.write_bytes(signing.public_pem())
    running = oidc_platform(jwks_file="", public_key_files=f"ed-1={pem}", algorithms="EdDSA")
    add_user(running, external_id="idp-ed")

    running.testapp.get("/api/v1/auth/session", headers=bearer(mint(signing, "idp-ed")), status=200)


def test_key_from_certificate(oidc_platform, tmp_path, rsa_signing_key) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_signing_key.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(rsa_signing_key.private_key, hashes.SHA256())
    )
    path = tmp_path / "idp.crt"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    running = oidc_platform(jwks_file="", public_key_files=f"rsa-1={path}")
    add_user(running, external_id="idp-cert")

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-cert")), status=200
    )


def test_shared_secret_hs256(oidc_platform, monkeypatch, rsa_signing_key, caplog) -> None:
    secret = "s" * 32
    monkeypatch.setenv("OIDC_TEST_SECRET", secret)
    running = oidc_platform(
        algorithms="RS256 HS256", hmac_secret_env="OIDC_TEST_SECRET", hmac_secret_kid="shared"
    )
    add_user(running, external_id="idp-hmac")
    shared = SigningKey("shared", secret.encode(), "HS256")
    caplog.set_level(logging.INFO)

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(shared, "idp-hmac")), status=200
    )
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-hmac")), status=200
    )
    # With HS256 allowed, the RSA public key still never serves as an HMAC secret.
    confused = hs256_signed_with_public_key(rsa_signing_key, "idp-hmac")
    running.testapp.get("/api/v1/auth/session", headers=bearer(confused), status=401)

    assert "algorithm HS256 does not fit the key named by the token" in auth_failures(caplog)[0]
