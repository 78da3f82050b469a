"""Signing keys and token minting for the oidc plugin's tests.

Keys are generated with ``cryptography`` when the tests run; none is stored
in the repository.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from access_platform.testing import Platform, Principal
from access_platform.users.models import User

INI_FILE = Path(__file__).with_name("oidc_test.ini")
ISSUER = "https://idp.example.test/"
AUDIENCE = "access-platform-api"

# Pass as a claim value to leave the claim out of the token.
OMIT = object()


@dataclass(frozen=True)
class SigningKey:
    """An issuer's private key, with the kid and algorithm its tokens name."""

    kid: str | None
    private_key: Any
    algorithm: str

    def public_jwk(self, **members: Any) -> dict[str, Any]:
        public_key = self.private_key.public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
        if self.kid is not None:
            jwk["kid"] = self.kid
        jwk.update(members)
        return jwk

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def rsa_key(kid: str | None, algorithm: str = "RS256", bits: int = 2048) -> SigningKey:
    return SigningKey(
        kid, rsa.generate_private_key(public_exponent=65537, key_size=bits), algorithm
    )


def ec_key(
    kid: str | None, curve: ec.EllipticCurve | None = None, algorithm: str = "ES256"
) -> SigningKey:
    return SigningKey(kid, ec.generate_private_key(curve or ec.SECP256R1()), algorithm)


def jwk_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def claims_for(subject: str, **overrides: Any) -> dict[str, Any]:
    """Return valid claims for ``subject``; an override of :data:`OMIT` drops that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not OMIT}


def mint(
    key: SigningKey, subject: str, *, headers: dict[str, Any] | None = None, **claims: Any
) -> str:
    """Sign a token for ``subject`` with ``key``; keyword arguments override claims."""
    header = {"kid": key.kid} if key.kid is not None else {}
    header.update(headers or {})
    return jwt.encode(claims_for(subject, **claims), key.private_key, key.algorithm, headers=header)


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """Build a compact JWS with an empty signature, as ``alg: none`` tokens are."""
    encoded_header = base64url(json.dumps(header).encode())
    encoded_claims = base64url(json.dumps(claims).encode())
    return f"{encoded_header}.{encoded_claims}."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_user(
    running: Platform, user_name: str | None = None, *, admin: bool = False, **fields: Any
) -> Principal:
    """Create a user with an API key, then set ``fields`` (such as ``external_id``) on it."""
    principal = running.factory.user(user_name, admin=admin)
    if fields:
        running.factory.update(User, principal.user_id, **fields)
    return principal
