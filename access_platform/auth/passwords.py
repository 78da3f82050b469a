"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the user does not exist, so that a login for an
# unknown user name takes as long as one with a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash("no user has this password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches ``stored_hash``; ``None`` never matches."""
    try:
        return (
            _hasher.verify(stored_hash or _UNKNOWN_USER_HASH, password) and stored_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False
