"""Record every secret the suite issues and every log record it writes, and find leaks.

``install`` wraps the functions that create or check secrets, so that
each password, API key, SCIM token, session cookie value, CSRF token and
invitation token is recorded as it is issued or presented. It also adds
a handler to the root logger that keeps the full text of every record:
the formatted message, the arguments, any extra attributes, the
exception and the stack. ``find_leaks`` then looks for every recorded
secret in every recorded text.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from access_platform import credentials
from access_platform.auth import passwords

# Shorter values would match ordinary words in log messages.
MIN_SECRET_LENGTH = 8

# Characters of the random secrets (URL-safe base64 and the kind prefix).
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")

# Attributes that every LogRecord has. Any other attribute came from ``extra=``.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@dataclass
class IssuedSecrets:
    """The secrets seen during a run, with what each one is."""

    kinds: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, secret: Any, kind: str) -> None:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            return
        with self.lock:
            self.kinds.setdefault(secret, kind)


class LogRecorder(logging.Handler):
    """A handler that keeps the searchable text of every record it receives."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.texts: list[tuple[str, str]] = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append((record.name, record_text(record, self._formatter)))


def record_text(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    """Return everything a log handler could write for ``record``, as one string."""
    parts = [str(record.msg), repr(record.args)]
    # A record whose arguments do not fit its message still shows both above.
    with contextlib.suppress(TypeError, ValueError):
        parts.append(record.getMessage())
    parts.extend(
        f"{name}={value!r}"
        for name, value in vars(record).items()
        if name not in _STANDARD_ATTRIBUTES
    )
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@dataclass(frozen=True)
class Leak:
    logger: str
    kind: str
    text: str


def find_leaks(secrets: IssuedSecrets, texts: Iterable[tuple[str, str]]) -> list[Leak]:
    """Return one leak for every recorded text that contains a recorded secret.

    Random secrets are looked up by the runs of token characters in each
    text, in every window as long as a secret, so a secret glued to other
    characters is found too. Other secrets, such as passwords with spaces,
    are searched for as substrings.
    """
    with secrets.lock:
        kinds = dict(secrets.kinds)
    tokens = {secret for secret in kinds if _TOKEN_CHARACTERS.fullmatch(secret)}
    phrases = [secret for secret in kinds if secret not in tokens]
    token_lengths = sorted({len(secret) for secret in tokens})

    leaks = []
    for logger, text in dict.fromkeys(texts):
        found = _tokens_in(text, tokens, token_lengths) | {
            phrase for phrase in phrases if phrase in text
        }
        leaks.extend(Leak(logger, kinds[secret], text) for secret in sorted(found))
    return leaks


def _tokens_in(text: str, tokens: set[str], lengths: list[int]) -> set[str]:
    found = set()
    for run in _TOKEN_CHARACTERS.findall(text):
        for length in lengths:
            if length > len(run):
                break
            for start in range(len(run) - length + 1):
                window = run[start : start + length]
                if window in tokens:
                    found.add(window)
    return found


def _recording(
    function: Callable[..., Any], secrets: IssuedSecrets, kind: str, *, argument: int | None
) -> Callable[..., Any]:
    """Wrap ``function`` to record its positional ``argument``, or its result when ``None``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if argument is not None and len(args) > argument:
            secrets.add(args[argument], kind)
        result = function(*args, **kwargs)
        if argument is None:
            secrets.add(result, kind)
        return result

    return wrapper


class _RecordingHasher:
    """A stand-in for the platform's Argon2 hasher that records each password it receives."""

    def __init__(self, hasher: Any, secrets: IssuedSecrets) -> None:
        self._hasher = hasher
        self._secrets = secrets

    def hash(self, password: str, **options: Any) -> str:
        self._secrets.add(password, "password")
        return self._hasher.hash(password, **options)

    def verify(self, stored_hash: str, password: str) -> bool:
        self._secrets.add(password, "password")
        return self._hasher.verify(stored_hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hasher, name)


def install(
    monkeypatch: pytest.MonkeyPatch, secrets: IssuedSecrets, recorder: LogRecorder
) -> Callable[[], None]:
    """Record secrets from the functions that handle them, and every log record of the run.

    Invitation tokens have no function of their own, so they are recorded
    when their digest is computed, as every stored secret's is. The
    platform's loggers are opened to DEBUG so that no record of theirs is
    skipped, while other libraries keep their levels. Returns a function
    that removes the handler and restores the level; ``monkeypatch.undo()``
    restores the wrapped functions.
    """
    monkeypatch.setattr(passwords, "_hasher", _RecordingHasher(passwords._hasher, secrets))
    for name, kind in (
        ("new_secret", "API key or SCIM token"),
        ("new_session_token", "session cookie"),
        ("new_csrf_token", "CSRF token"),
    ):
        function = getattr(credentials, name)
        monkeypatch.setattr(credentials, name, _recording(function, secrets, kind, argument=None))
    monkeypatch.setattr(
        credentials,
        "digest",
        _recording(credentials.digest, secrets, "digested secret", argument=0),
    )

    root = logging.getLogger()
    platform_logger = logging.getLogger("access_platform")
    previous_level = platform_logger.level
    root.addHandler(recorder)
    platform_logger.setLevel(logging.DEBUG)

    def uninstall() -> None:
        root.removeHandler(recorder)
        platform_logger.setLevel(previous_level)

    return uninstall
