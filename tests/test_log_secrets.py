"""No secret issued during the test run appears in any log record.

The last test of the session searches every record that any logger
wrote during the run for every password, API key, SCIM token, session
cookie value, CSRF token and invitation token that the run issued or
presented. The tests before it plant secrets in records of their own, to
show that the search finds a secret wherever a handler could write it.
"""

from __future__ import annotations

import logging
import secrets

import pytest

from access_platform import credentials
from tests.conftest import LOG_SECRETS
from tests.log_secrets import IssuedSecrets, LogRecorder, find_leaks


@pytest.fixture
def planted() -> tuple[IssuedSecrets, LogRecorder, logging.Logger]:
    """A secret registry and recorder of their own, on a logger that does not propagate."""
    issued = IssuedSecrets()
    recorder = LogRecorder()
    logger = logging.getLogger("tests.planted_secrets")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(recorder)
    yield issued, recorder, logger
    logger.removeHandler(recorder)


def test_secret_in_message_is_found(planted):
    issued, recorder, logger = planted
    token = secrets.token_urlsafe(32)
    issued.add(token, "session cookie")

    logger.info("cookie %s set", token)

    leaks = find_leaks(issued, recorder.texts)
    assert [leak.kind for leak in leaks] == ["session cookie"]
    assert leaks[0].logger == "tests.planted_secrets"


def test_secret_glued_to_text_is_found(planted):
    issued, recorder, logger = planted
    token = f"apk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    issued.add(token, "API key")

    logger.warning("header=X-API-Key:" + token + "trailing")

    assert len(find_leaks(issued, recorder.texts)) == 1


def test_password_in_arguments_is_found(planted):
    issued, recorder, logger = planted
    issued.add("planted pass phrase", "password")

    # The message does not use its argument, so only the arguments show it.
    logger.debug("login attempt", {"password": "planted pass phrase"})

    assert [leak.kind for leak in find_leaks(issued, recorder.texts)] == ["password"]


def test_secret_in_exception_is_found(planted):
    issued, recorder, logger = planted
    token = secrets.token_urlsafe(32)
    issued.add(token, "invitation token")

    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        logger.exception("acceptance failed")

    assert len(find_leaks(issued, recorder.texts)) == 1


def test_secret_in_extra_attribute_is_found(planted):
    issued, recorder, logger = planted
    token = secrets.token_urlsafe(32)
    issued.add(token, "CSRF token")

    logger.info("request handled", extra={"csrf": token})

    assert len(find_leaks(issued, recorder.texts)) == 1


def test_short_values_are_not_secrets(planted):
    issued, recorder, logger = planted
    issued.add("short", "password")

    logger.info("a short word")

    assert find_leaks(issued, recorder.texts) == []


def test_issuing_functions_are_recorded(pytestconfig):
    issued, _recorder = pytestconfig.stash[LOG_SECRETS]

    # Issued but never logged, so the leak check stays clean.
    token = credentials.new_session_token()

    assert issued.kinds[token] == "session cookie"


def test_no_issued_secret_in_logs(pytestconfig):
    issued, recorder = pytestconfig.stash[LOG_SECRETS]
    if not issued.kinds:
        pytest.skip("no secret was issued in this run")

    leaks = find_leaks(issued, recorder.texts)

    shown = [f"{leak.kind} in a record of {leak.logger}: {leak.text[:300]!r}" for leak in leaks]
    assert shown == []
