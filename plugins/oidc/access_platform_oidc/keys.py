"""Verification keys: which JWS algorithms each key may verify, and how keys are loaded.

A key's algorithms follow from its type and, for elliptic curves, its curve,
narrowed to the JWK's own ``alg`` when it names one. Public keys never get an
HMAC algorithm, and the shared secret gets nothing but HMAC algorithms, so a
token cannot make the verifier read a public key as an HMAC secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import PyJWTError

log = logging.getLogger(__name__)

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS_BY_CURVE = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
EDDSA_ALGORITHMS = frozenset({"EdDSA"})
# RFC 7518, section 3.2: an HMAC key must be at least as long as the hash output.
HMAC_MINIMUM_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
HMAC_ALGORITHMS = frozenset(HMAC_MINIMUM_SECRET_BYTES)
SUPPORTED_ALGORITHMS = (
    RSA_ALGORITHMS | frozenset(EC_ALGORITHMS_BY_CURVE.values()) | EDDSA_ALGORITHMS | HMAC_ALGORITHMS
)

# RFC 7518, sections 3.3 and 3.5: RS* and PS* need RSA keys of 2048 bits or more.
MINIMUM_RSA_BITS = 2048

# JWK members that only private or symmetric keys carry (RFC 7518, sections 6.2.2, 6.3.2, 6.4).
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

JWK_PARSERS = {
    "RSA": RSAAlgorithm.from_jwk,
    "EC": ECAlgorithm.from_jwk,
    "OKP": OKPAlgorithm.from_jwk,
}


class UnusableKeyError(ValueError):
    """Raised when a key cannot be used to verify tokens. The message gives the reason."""


@dataclass(frozen=True)
class VerificationKey:
    """A key that verifies token signatures.

    :ivar kid: the key id that tokens name in their header, or ``None``; a key
        without one verifies only tokens that name no ``kid``.
    :ivar key: a ``cryptography`` public key, or the shared secret as bytes.
    :ivar algorithms: the JWS algorithms this key may verify.
    :ivar origin: where the key came from, for log and error messages.
    """

    kid: str | None
    key: Any
    algorithms: frozenset[str]
    origin: str


def public_key_algorithms(public_key: Any) -> frozenset[str]:
    """Return the JWS algorithms that fit ``public_key``'s type and size.

    :raises UnusableKeyError: for key types, curves or sizes that are not accepted.
    """
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MINIMUM_RSA_BITS:
            raise UnusableKeyError(
                f"the RSA key has {public_key.key_size} bits; "
                f"at least {MINIMUM_RSA_BITS} are required"
            )
        return RSA_ALGORITHMS
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        algorithm = EC_ALGORITHMS_BY_CURVE.get(public_key.curve.name)
        if algorithm is None:
            supported = ", ".join(sorted(EC_ALGORITHMS_BY_CURVE))
            raise UnusableKeyError(
                f"the elliptic curve {public_key.curve.name} is not supported "
                f"(supported: {supported})"
            )
        return frozenset({algorithm})
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return EDDSA_ALGORITHMS
    raise UnusableKeyError(f"keys of type {type(public_key).__name__} are not supported")


def narrow_to_declared(algorithms: frozenset[str], declared: Any) -> frozenset[str]:
    """Return the one algorithm a key declares, after checking that it fits the key.

    :raises UnusableKeyError: when ``declared`` is not a string or does not fit.
    """
    if declared is None:
        return algorithms
    if not isinstance(declared, str) or declared not in algorithms:
        fitting = ", ".join(sorted(algorithms))
        raise UnusableKeyError(
            f"its alg {declared!r} does not fit the key (this key fits: {fitting})"
        )
    return frozenset({declared})


def key_from_jwk(jwk: Any, origin: str) -> VerificationKey | None:
    """Build a key from one JWK, or return ``None`` for a key not meant for verifying signatures.

    A JWK whose ``use`` is not ``sig`` or whose ``key_ops`` lacks ``verify``
    is skipped, as RFC 7517 section 4.2 and 4.3 describe.

    :raises UnusableKeyError: for symmetric keys, private keys, and keys that do
        not parse. Messages name the ``kid`` but never a key's members.
    """
    if not isinstance(jwk, Mapping):
        raise UnusableKeyError("a JWK must be a JSON object")
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise UnusableKeyError("its kid must be a string")
    label = f"key {kid!r}" if kid is not None else "a key without kid"

    use = jwk.get("use")
    key_ops = jwk.get("key_ops")
    if use is not None and use != "sig":
        log.debug("skipped %s of %s: use is %r, not sig", label, origin, use)
        return None
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        log.debug("skipped %s of %s: key_ops does not list verify", label, origin)
        return None

    kty = jwk.get("kty")
    if kty == "oct":
        raise UnusableKeyError(
            f"{label} is a symmetric key (kty oct); a shared secret is accepted only "
            "from the environment variable named by hmac_secret_env"
        )
    private_members = sorted(PRIVATE_JWK_MEMBERS.intersection(jwk))
    if private_members:
        raise UnusableKeyError(
            f"{label} contains private key members ({', '.join(private_members)}); "
            "publish only the public key"
        )
    parse = JWK_PARSERS.get(kty) if isinstance(kty, str) else None
    if parse is None:
        raise UnusableKeyError(f"{label} has kty {kty!r}; expected RSA, EC or OKP")

    try:
        public_key = parse(dict(jwk))
    except (PyJWTError, ValueError, TypeError) as error:
        raise UnusableKeyError(f"{label} is not a valid {kty} key: {error}") from None
    try:
        algorithms = narrow_to_declared(public_key_algorithms(public_key), jwk.get("alg"))
    except UnusableKeyError as error:
        raise UnusableKeyError(f"{label}: {error}") from None
    return VerificationKey(kid, public_key, algorithms, origin)


def keys_from_jwks(document: Any, origin: str) -> tuple[list[VerificationKey], list[str]]:
    """Return the keys of a JWK Set and a message for each key that was rejected.

    :raises UnusableKeyError: when ``document`` is not a JWK Set at all.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise UnusableKeyError(
            f"{origin} is not a JWK Set: expected a JSON object with a keys array"
        )
    keys: list[VerificationKey] = []
    problems: list[str] = []
    for jwk in document["keys"]:
        try:
            key = key_from_jwk(jwk, origin)
        except UnusableKeyError as error:
            problems.append(str(error))
            continue
        if key is not None:
            keys.append(key)
    return keys, problems


def load_jwks_file(path: Path) -> list[VerificationKey]:
    """Load every signing key of a JWK Set file.

    :raises UnusableKeyError: when the file cannot be read or parsed, or any key in
        it is rejected, so that a mistake in the file stops start-up.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UnusableKeyError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise UnusableKeyError(f"{path} is not valid JSON: {error}") from None
    keys, problems = keys_from_jwks(document, str(path))
    if problems:
        raise UnusableKeyError(f"{path}: {'; '.join(problems)}")
    if not keys:
        raise UnusableKeyError(f"{path} contains no key for verifying signatures")
    return keys


def load_pem_file(path: Path, kid: str | None) -> VerificationKey:
    """Load a PEM public key or X.509 certificate.

    :raises UnusableKeyError: when the file cannot be read, contains a private
        key, or contains no supported public key.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnusableKeyError(f"cannot read {path}: {error.strerror}") from None
    if b"PRIVATE KEY-----" in data:
        raise UnusableKeyError(
            f"{path} contains a private key; give the issuer's public key instead"
        )
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            public_key = x509.load_pem_x509_certificate(data).public_key()
        else:
            public_key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise UnusableKeyError(f"{path} is not a PEM public key or certificate: {error}") from None
    try:
        algorithms = public_key_algorithms(public_key)
    except UnusableKeyError as error:
        raise UnusableKeyError(f"{path}: {error}") from None
    return VerificationKey(kid, public_key, algorithms, str(path))


def shared_secret_key(
    secret: bytes, kid: str | None, allowed: Iterable[str], variable: str
) -> VerificationKey:
    """Wrap the shared secret as a key for the allowed HMAC algorithms.

    :raises UnusableKeyError: when the secret is shorter than an allowed algorithm
        needs, or looks like a PEM or SSH public key.
    """
    algorithms = frozenset(allowed) & HMAC_ALGORITHMS
    stripped = secret.strip()
    if stripped.startswith(b"-----BEGIN") or stripped.startswith((b"ssh-", b"ecdsa-sha2-")):
        raise UnusableKeyError(
            f"the secret in {variable} looks like a public key; an HMAC secret must be random bytes"
        )
    for algorithm in sorted(algorithms):
        needed = HMAC_MINIMUM_SECRET_BYTES[algorithm]
        if len(secret) < needed:
            raise UnusableKeyError(
                f"the secret in {variable} has {len(secret)} bytes; "
                f"{algorithm} needs at least {needed}"
            )
    return VerificationKey(kid, secret, algorithms, f"environment variable {variable}")
