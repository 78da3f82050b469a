"""Keys from jwks_url: caching, refetching on an unknown kid, timeouts and invalid responses.

Every request goes to a JWK Set server that the test starts on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from access_platform_oidc.remote_jwks import MAX_JWKS_BYTES, RemoteJwks
from oidc_helpers import add_user, bearer, jwk_set, mint, rsa_key


class JwksServer:
    """A JWK Set endpoint on 127.0.0.1 that returns what the test sets, and counts requests."""

    def __init__(self) -> None:
        self.document: Any = {"keys": []}
        self.status = 200
        self.location: str | None = None
        self.delay_seconds = 0.0
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                time.sleep(server.delay_seconds)
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                if server.location is not None:
                    self.send_header("Location", server.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/jwks.json"

    @property
    def fetches(self) -> int:
        return self.paths.count("/jwks.json")


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def remote(server: JwksServer, clock: FakeClock, **options: Any) -> RemoteJwks:
    settings = {"cache_seconds": 300, "refresh_interval_seconds": 60, "timeout_seconds": 2.0}
    settings.update(options)
    return RemoteJwks(server.url, clock=clock, **settings)


# --- The cache, with a controlled clock -------------------------------------------


def test_keys_fetched_once_until_expiry(jwks_server, rsa_signing_key) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    clock = FakeClock()
    source = remote(jwks_server, clock)

    first = source.current_keys()
    clock.now += 299
    second = source.current_keys()

    assert [key.kid for key in first] == ["rsa-1"]
    assert second == first
    assert jwks_server.fetches == 1


def test_expired_keys_fetched_again(jwks_server, rsa_signing_key, ec_signing_key) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    clock = FakeClock()
    source = remote(jwks_server, clock)
    source.current_keys()

    jwks_server.document = jwk_set(ec_signing_key)
    clock.now += 300

    assert [key.kid for key in source.current_keys()] == ["ec-1"]
    assert jwks_server.fetches == 2


def test_unknown_kid_refetch_rate_limited(jwks_server, rsa_signing_key) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    clock = FakeClock()
    source = remote(jwks_server, clock)
    source.current_keys()

    clock.now += 59
    source.refresh_for_kid("rotated")
    assert jwks_server.fetches == 1

    clock.now += 1
    source.refresh_for_kid("rotated")
    source.refresh_for_kid("rotated")
    assert jwks_server.fetches == 2


def test_failed_fetch_keeps_cached_keys(jwks_server, rsa_signing_key, caplog) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    clock = FakeClock()
    source = remote(jwks_server, clock)
    source.current_keys()
    caplog.set_level(logging.WARNING)

    jwks_server.status = 503
    clock.now += 300
    cached_keys = source.current_keys()

    assert [key.kid for key in cached_keys] == ["rsa-1"]
    assert "returned HTTP 503" in caplog.text
    assert "1 cached keys stay in use" in caplog.text
    # The next attempt waits for the refresh interval, not for every request.
    source.current_keys()
    assert jwks_server.fetches == 2


def test_bad_key_skipped_others_kept(jwks_server, rsa_signing_key, caplog) -> None:
    weak = rsa_key("weak", bits=1024)
    jwks_server.document = jwk_set(weak, rsa_signing_key)
    caplog.set_level(logging.WARNING)

    keys = remote(jwks_server, FakeClock()).current_keys()

    assert [key.kid for key in keys] == ["rsa-1"]
    assert "key 'weak'" in caplog.text


def test_redirect_not_followed(jwks_server, rsa_signing_key, caplog) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    jwks_server.status = 302
    jwks_server.location = jwks_server.url.replace("/jwks.json", "/elsewhere.json")
    caplog.set_level(logging.WARNING)

    keys = remote(jwks_server, FakeClock()).current_keys()

    assert keys == ()
    assert "returned HTTP 302" in caplog.text
    assert "/elsewhere.json" not in jwks_server.paths


def test_oversized_answer_rejected(jwks_server, caplog) -> None:
    jwks_server.document = {"keys": [], "padding": "x" * MAX_JWKS_BYTES}
    caplog.set_level(logging.WARNING)

    keys = remote(jwks_server, FakeClock()).current_keys()

    assert keys == ()
    assert f"returned more than {MAX_JWKS_BYTES} bytes" in caplog.text


def test_slow_server_times_out(jwks_server, rsa_signing_key, caplog) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    jwks_server.delay_seconds = 1.0
    caplog.set_level(logging.WARNING)

    started = time.monotonic()
    keys = remote(jwks_server, FakeClock(), timeout_seconds=0.2).current_keys()

    assert keys == ()
    assert time.monotonic() - started < 0.9
    assert "timed out" in caplog.text


# --- End to end -------------------------------------------------------------------------


def test_token_verified_with_fetched_key(oidc_platform, jwks_server, rsa_signing_key) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    running = oidc_platform(jwks_file="", jwks_url=jwks_server.url)
    add_user(running, external_id="idp-remote")
    headers = bearer(mint(rsa_signing_key, "idp-remote"))

    running.testapp.get("/api/v1/auth/session", headers=headers, status=200)
    running.testapp.get("/api/v1/auth/session", headers=headers, status=200)

    assert jwks_server.fetches == 1


def test_rotated_key_fetched_once(oidc_platform, jwks_server, rsa_signing_key, caplog) -> None:
    jwks_server.document = jwk_set(rsa_signing_key)
    running = oidc_platform(
        jwks_file="", jwks_url=jwks_server.url, jwks_refresh_interval_seconds="1"
    )
    add_user(running, external_id="idp-rotate")
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-rotate")), status=200
    )

    rotated = rsa_key("rsa-2")
    jwks_server.document = jwk_set(rotated)
    time.sleep(1.1)
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rotated, "idp-rotate")), status=200
    )
    assert jwks_server.fetches == 2

    # Within the refresh interval, another unknown kid does not trigger a fetch.
    caplog.set_level(logging.INFO)
    unknown = rsa_key("rsa-3")
    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(unknown, "idp-rotate")), status=401
    )
    assert jwks_server.fetches == 2
    assert "no key has kid 'rsa-3'" in caplog.text


def test_unreachable_jwks_gives_401(oidc_platform, jwks_server, rsa_signing_key, caplog) -> None:
    jwks_server.status = 500
    running = oidc_platform(jwks_file="", jwks_url=jwks_server.url)
    add_user(running, external_id="idp-down")
    caplog.set_level(logging.INFO)

    running.testapp.get(
        "/api/v1/auth/session", headers=bearer(mint(rsa_signing_key, "idp-down")), status=401
    )

    assert "could not refresh the JWK Set" in caplog.text
