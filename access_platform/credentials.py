"""Bearer secrets: generation, parsing and digests for API keys and SCIM tokens.

A secret reads ``<kind>_<prefix>_<random>``: ``kind`` says what it is
(``apk`` for API keys, ``scim`` for SCIM tokens), ``prefix`` is 12 hex
digits stored in clear to find the row, and ``random`` is 256 bits in
URL-safe base64. Only the SHA-256 digest of the whole secret is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

API_KEY_KIND = "apk"
SCIM_TOKEN_KIND = "scim"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True)
class ParsedSecret:
    kind: str
    prefix: str
    value: str


def digest(secret: str) -> str:
    """Return the hex SHA-256 digest stored for ``secret``."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def digests_match(secret: str, stored_digest: str) -> bool:
    """Compare ``secret`` with a stored digest in constant time."""
    return hmac.compare_digest(digest(secret), stored_digest)


def new_prefix() -> str:
    return secrets.token_hex(6)


def new_secret(kind: str, prefix: str) -> str:
    """Return a new secret of ``kind`` carrying ``prefix``."""
    return f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"


def parse_secret(secret: str, kind: str) -> ParsedSecret | None:
    """Split ``secret`` into its parts, or return ``None`` if it is not of ``kind``."""
    parts = secret.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != kind:
        return None
    _kind, prefix, random_part = parts
    if len(prefix) != 12 or not all(character in "0123456789abcdef" for character in prefix):
        return None
    if len(random_part) < 22:
        return None
    return ParsedSecret(kind, prefix, secret.strip())


def new_session_token() -> str:
    """Return a new browser-session cookie value (256 random bits)."""
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
