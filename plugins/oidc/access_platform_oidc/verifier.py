"""Recognising and verifying JWT bearer tokens.

:func:`parse_jose_header` decides whether a bearer token is a JWT at all, so
that other auth methods still see every other kind of token.
:class:`TokenVerifier` then checks the signature with the key the token's
``kid`` names, and the ``iss``, ``aud``, ``exp``, ``nbf`` and ``iat`` claims.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from access_platform_oidc.config import OidcSettings
from access_platform_oidc.keys import VerificationKey
from access_platform_oidc.remote_jwks import RemoteJwks

# Compact JWS parts are base64url without padding (RFC 7515, section 2).
BASE64URL_PART = re.compile(r"[A-Za-z0-9_-]*")

# Access tokens are usually a few KiB (an estimate, not a limit from any
# standard), so a far longer one is rejected before any decoding or signature work.
MAX_TOKEN_CHARS = 16 * 1024

# Claims that every accepted token must carry.
REQUIRED_CLAIMS = ("exp", "iss", "aud")


class TokenRejected(Exception):
    """Raised when a JWT fails verification.

    :ivar reason: what failed, for the log. It names the ``kid`` and ``iss``
        but never contains the token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature and registered claims passed every check."""

    claims: dict[str, Any]
    kid: str | None
    algorithm: str


def loggable(value: Any, limit: int = 80) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters, for values a client chose."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _decode_json_part(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def parse_jose_header(token: str) -> dict[str, Any] | None:
    """Return the JOSE header of a compact JWS, or ``None`` if ``token`` is not shaped like one.

    A JWT here is three base64url parts separated by dots, whose first part
    decodes to a JSON object with a string ``alg``. The signature part may be
    empty, so that unsigned ``alg: none`` tokens are recognised and rejected
    rather than passed on to other auth methods.
    """
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    if not all(BASE64URL_PART.fullmatch(part) for part in parts):
        return None
    try:
        header = _decode_json_part(parts[0])
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        return None
    return header


def unverified_issuer(token: str) -> Any:
    """Return the ``iss`` of a token without verifying it, for log messages only."""
    try:
        payload = _decode_json_part(token.split(".")[1])
    except (binascii.Error, ValueError, RecursionError, IndexError):
        return None
    return payload.get("iss") if isinstance(payload, dict) else None


class TokenVerifier:
    """Verifies tokens against the configured keys, issuer, audiences and algorithms."""

    def __init__(self, settings: OidcSettings, remote: RemoteJwks | None) -> None:
        self.settings = settings
        self.remote = remote

    def verify(self, token: str, header: dict[str, Any]) -> VerifiedToken:
        """Check ``token``'s signature and claims and return its claims.

        :param header: the token's JOSE header, from :func:`parse_jose_header`.
        :raises TokenRejected: with the reason, the ``kid`` and the ``iss``.
        """
        kid = header.get("kid")
        context = f"kid={loggable(kid)} iss={loggable(unverified_issuer(token))}"
        try:
            return self._verify(token, header)
        except TokenRejected as rejected:
            raise TokenRejected(f"{rejected.reason} ({context})") from None

    def _verify(self, token: str, header: dict[str, Any]) -> VerifiedToken:
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected(f"token is longer than {MAX_TOKEN_CHARS} characters")

        algorithm = header["alg"]
        allowed = self.settings.algorithms
        if algorithm not in allowed:
            raise TokenRejected(
                f"algorithm {loggable(algorithm)} is not allowed "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected("the kid header is not a string")
        # RFC 7515, section 4.1.11: a token that relies on header extensions
        # this server does not implement must be rejected.
        if "crit" in header:
            raise TokenRejected(
                "the token lists critical header extensions, none of which is supported"
            )

        candidates = self._candidate_keys(kid, algorithm)
        return self._check_signature_and_claims(token, kid, algorithm, candidates)

    def _candidate_keys(self, kid: str | None, algorithm: str) -> list[VerificationKey]:
        """Return the keys that may verify a token with this ``kid`` and ``alg``.

        A token with a ``kid`` is checked only against keys with that ``kid``;
        one without is checked against every key that has none. Among those,
        only keys that fit the token's algorithm count.
        """
        named = self._keys_named(kid, self._all_keys())
        if not named and kid is not None and self.remote is not None:
            named = self._keys_named(
                kid, self.settings.static_keys + self.remote.refresh_for_kid(kid)
            )
        if not named:
            if kid is None:
                raise TokenRejected("the token names no kid and every configured key has one")
            raise TokenRejected(f"no key has kid {loggable(kid)}")

        fitting = [key for key in named if algorithm in key.algorithms]
        if not fitting:
            fits = ", ".join(sorted(set().union(*(key.algorithms for key in named))))
            raise TokenRejected(
                f"algorithm {algorithm} does not fit the key named by the token (it fits {fits})"
            )
        return fitting

    def _all_keys(self) -> tuple[VerificationKey, ...]:
        if self.remote is None:
            return self.settings.static_keys
        return self.settings.static_keys + self.remote.current_keys()

    @staticmethod
    def _keys_named(kid: str | None, keys: tuple[VerificationKey, ...]) -> list[VerificationKey]:
        return [key for key in keys if key.kid == kid]

    def _check_signature_and_claims(
        self, token: str, kid: str | None, algorithm: str, candidates: list[VerificationKey]
    ) -> VerifiedToken:
        settings = self.settings
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key=key.key,
                    # Only algorithms both configured and fitting this key,
                    # never a list taken from the token.
                    algorithms=sorted(key.algorithms & settings.algorithms),
                    audience=list(settings.audiences),
                    issuer=settings.issuer,
                    leeway=settings.leeway_seconds,
                    options={"require": list(REQUIRED_CLAIMS)},
                )
            except InvalidSignatureError:
                # Several keys may share a kid (or have none); try the next.
                continue
            except ExpiredSignatureError:
                raise TokenRejected("token expired (exp is in the past)") from None
            except ImmatureSignatureError as error:
                raise TokenRejected(f"token is not yet valid: {error}") from None
            except InvalidAudienceError:
                raise TokenRejected("audience not accepted") from None
            except InvalidIssuerError:
                raise TokenRejected("issuer not accepted") from None
            except MissingRequiredClaimError as error:
                raise TokenRejected(f"required claim {error.claim} is missing") from None
            except PyJWTError as error:
                raise TokenRejected(f"invalid token: {error}") from None
            return VerifiedToken(claims, kid, algorithm)
        raise TokenRejected("signature verification failed")
