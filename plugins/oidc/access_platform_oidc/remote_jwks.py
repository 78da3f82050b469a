"""Keys fetched from the issuer's JWK Set URL, cached and refetched at a bounded rate."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from access_platform_oidc.config import is_loopback_host
from access_platform_oidc.keys import UnusableKeyError, VerificationKey, keys_from_jwks

log = logging.getLogger(__name__)

# A JWK Set with a few dozen keys is well under 100 KiB. A larger response
# is not a key set, and reading it would only cost memory.
MAX_JWKS_BYTES = 1024 * 1024


class JwksFetchError(Exception):
    """Raised when the JWK Set could not be fetched or parsed. The message gives the reason."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Turn redirects into errors, so that keys come only from the configured URL."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def build_opener(url: str) -> urllib.request.OpenerDirector:
    """Return an opener that follows no redirects and sends loopback requests without a proxy."""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
    host = urlsplit(url).hostname or ""
    if is_loopback_host(host):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def fetch_jwks(
    url: str, timeout_seconds: float, opener: urllib.request.OpenerDirector
) -> list[VerificationKey]:
    """Fetch the JWK Set at ``url`` and return its usable keys.

    Keys that cannot be used are skipped with a warning, so that one odd key
    in the issuer's set does not lock out tokens signed by the others.

    :raises JwksFetchError: on network errors, non-2xx responses, bodies over
        :data:`MAX_JWKS_BYTES`, and bodies that are not a JWK Set.
    """
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        # The scheme was checked at start-up: https, or http to a loopback host.
        with opener.open(request, timeout=timeout_seconds) as response:
            body = response.read(MAX_JWKS_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise JwksFetchError(f"{url} returned HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise JwksFetchError(f"fetching {url} failed: {reason}") from None
    if len(body) > MAX_JWKS_BYTES:
        raise JwksFetchError(f"{url} returned more than {MAX_JWKS_BYTES} bytes")

    try:
        document = json.loads(body)
    except ValueError as error:
        raise JwksFetchError(f"{url} did not return JSON: {error}") from None
    try:
        keys, problems = keys_from_jwks(document, url)
    except UnusableKeyError as error:
        raise JwksFetchError(str(error)) from None
    for problem in problems:
        log.warning("skipped a key from %s: %s", url, problem)
    return keys


class RemoteJwks:
    """The issuer's keys from ``jwks_url``, shared by every request thread.

    Keys are fetched on first use and again once they are older than
    ``cache_seconds``, or when a token names a ``kid`` that the cached set
    lacks. Whatever triggers it, a fetch starts only when the previous
    attempt is at least ``refresh_interval_seconds`` old, so tokens with
    made-up ``kid`` values cannot make the server hammer the issuer. When a
    fetch fails, the keys from the last successful fetch stay in use.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: int,
        refresh_interval_seconds: int,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.refresh_interval_seconds = refresh_interval_seconds
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self._opener = build_opener(url)
        self._lock = threading.Lock()
        self._keys: tuple[VerificationKey, ...] = ()
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def current_keys(self) -> tuple[VerificationKey, ...]:
        """Return the cached keys, fetching them first when the cache is empty or expired."""
        fetched_at = self._fetched_at
        if fetched_at is None:
            self._refresh("first use", wait=True)
        elif self.clock() - fetched_at >= self.cache_seconds:
            # Expired keys are still the best there are, so a request does
            # not wait while another thread fetches new ones.
            self._refresh("the cached keys expired", wait=False)
        return self._keys

    def refresh_for_kid(self, kid: str) -> tuple[VerificationKey, ...]:
        """Fetch again because a token names ``kid``, unless the last attempt is too recent."""
        # The kid comes from the client, so only its start goes into the log.
        self._refresh(f"a token names the unknown kid {kid[:80]!r}", wait=True)
        return self._keys

    def _refresh(self, reason: str, *, wait: bool) -> None:
        if not self._lock.acquire(blocking=wait):
            return
        try:
            now = self.clock()
            if (
                self._attempted_at is not None
                and now - self._attempted_at < self.refresh_interval_seconds
            ):
                return
            self._attempted_at = now
            try:
                keys = fetch_jwks(self.url, self.timeout_seconds, self._opener)
            except JwksFetchError as error:
                log.warning(
                    "could not refresh the JWK Set (%s): %s; %d cached keys stay in use",
                    reason,
                    error,
                    len(self._keys),
                )
                return
            self._keys = tuple(keys)
            self._fetched_at = now
            log.info("fetched %d keys from %s (%s)", len(keys), self.url, reason)
        finally:
            self._lock.release()
