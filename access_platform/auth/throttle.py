"""Login throttling: failed logins counted per user name and per client address.

After ``account_max_failures`` failed logins for one user name, or
``address_max_failures`` from one client address, within
``window_seconds``, every login for that name or from that address gets
429 with ``Retry-After`` for ``lockout_seconds``, even with the right
password. A user name is counted the same way whether or not an account
has it, so neither the status codes nor the bodies reveal which accounts
exist. A successful login clears its user name's counter but not its
address's, so that an attacker cannot clear the address counter by
logging in to an account of their own between guesses.

The counters are rows of ``login_throttles``, so every server process
counts the same attempts. A login updates them in its own transaction.
PostgreSQL keeps the rows locked until that transaction ends, and SQLite
runs one writing request at a time, so concurrent failures are all counted.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from access_platform.db import Base, UTCDateTime, utcnow
from access_platform.users.models import fold_user_name

log = logging.getLogger(__name__)

# The most expired rows that one login deletes, so that no login waits on a
# large clean-up.
PRUNE_BATCH = 100


class LoginThrottle(Base):
    """The failed-login counter of one user name or one client address.

    ``key`` is the SHA-256 digest of the kind and the value, so the table
    never contains a typed user name, which is sometimes a mistyped password.
    A row whose ``expires_at`` has passed counts nothing and may be deleted.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class ThrottleSettings:
    """The ``access_platform.login_throttle.*`` settings."""

    account_max_failures: int
    address_max_failures: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ThrottleSettings:
        prefix = "access_platform.login_throttle."
        return cls(
            settings[prefix + "account_max_failures"],
            settings[prefix + "address_max_failures"],
            timedelta(seconds=settings[prefix + "window_seconds"]),
            timedelta(seconds=settings[prefix + "lockout_seconds"]),
        )


@dataclass(frozen=True)
class ThrottleKey:
    """One counter that a login attempt touches: ``kind`` is ``account`` or ``address``."""

    kind: str
    digest: str
    max_failures: int


def client_network(address: str | None) -> str | None:
    """Return the text that identifies a client for counting, or ``None`` without an address.

    An IPv6 client counts by its /64 network, because a single host is
    usually assigned a whole /64 and could otherwise pick a fresh address
    for every guess. An IPv4-mapped IPv6 address counts as its IPv4 address.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        # Not an IP address, for example a Unix socket path: count it as it is.
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\n{value}".encode()).hexdigest()


class LoginAttempt:
    """The throttle counters of one login request, locked for the rest of its transaction.

    NOTE: the lock is held while the password is verified, so logins that
    share a user name or a client address run one at a time on PostgreSQL.
    That keeps the count exact under parallel guesses, but many users
    behind one NAT address wait for each other's password hashing.
    """

    def __init__(
        self,
        dbsession: Session,
        settings: ThrottleSettings,
        user_name: str,
        client_address: str | None,
    ) -> None:
        self.dbsession = dbsession
        self.settings = settings
        self.now = utcnow()
        keys = [
            ThrottleKey(
                "account",
                _digest("account", fold_user_name(user_name)),
                settings.account_max_failures,
            )
        ]
        network = client_network(client_address)
        if network is not None:
            keys.append(
                ThrottleKey("address", _digest("address", network), settings.address_max_failures)
            )
        # Every request creates and locks its rows in digest order, so two
        # logins that share both counters wait for each other in turn
        # instead of each holding one that the other needs.
        self.keys = sorted(keys, key=lambda key: key.digest)
        self.rows: dict[str, LoginThrottle] = {}

    def begin(self) -> int | None:
        """Lock this attempt's counters; return the seconds to wait while blocked, else ``None``.

        Expired counters of other clients are then deleted, a batch at a time.
        """
        self._lock_rows()
        self._prune()
        blocked_until = [
            row.blocked_until
            for row in self.rows.values()
            if row.blocked_until is not None and row.blocked_until > self.now
        ]
        if not blocked_until:
            return None
        return max(1, math.ceil((max(blocked_until) - self.now).total_seconds()))

    def record_failure(self) -> None:
        """Count a failed login against every counter, blocking those that reach their maximum."""
        for key in self.keys:
            row = self.rows[key.digest]
            if row.window_started_at + self.settings.window <= self.now:
                row.failures = 0
                row.window_started_at = self.now
            row.failures += 1
            if row.failures >= key.max_failures:
                row.blocked_until = self.now + self.settings.lockout
                # The next window starts when the lockout does, so the count
                # begins again from zero once the lockout ends.
                row.failures = 0
                row.window_started_at = self.now
                log.warning(
                    "blocking logins for %s counter %s for %d seconds after %d failed logins",
                    key.kind,
                    key.digest[:12],
                    self.settings.lockout.total_seconds(),
                    key.max_failures,
                )
            ends = [row.window_started_at + self.settings.window]
            if row.blocked_until is not None:
                ends.append(row.blocked_until)
            row.expires_at = max(ends)

    def record_success(self) -> None:
        """Clear the user name's counter; the address counter keeps its failures."""
        for key in self.keys:
            if key.kind == "account":
                self.dbsession.delete(self.rows[key.digest])

    def _lock_rows(self) -> None:
        """Create any missing counter, then load and lock this attempt's counters."""
        dialect = postgresql if self.dbsession.get_bind().dialect.name == "postgresql" else sqlite
        for key in self.keys:
            self.dbsession.execute(
                dialect.insert(LoginThrottle)
                .values(
                    key=key.digest,
                    failures=0,
                    window_started_at=self.now,
                    blocked_until=None,
                    expires_at=self.now,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
        statement = (
            select(LoginThrottle)
            .where(LoginThrottle.key.in_([key.digest for key in self.keys]))
            .order_by(LoginThrottle.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        self.rows = {row.key: row for row in self.dbsession.scalars(statement)}

    def _prune(self) -> None:
        # SKIP LOCKED leaves the rows that concurrent logins have locked, so
        # the clean-up does not wait for them. It runs after this login has locked its own
        # rows and waits for nothing more, so it cannot close a deadlock cycle.
        own_keys = [key.digest for key in self.keys]
        expired = (
            select(LoginThrottle.key)
            .where(LoginThrottle.expires_at < self.now, LoginThrottle.key.not_in(own_keys))
            .order_by(LoginThrottle.expires_at)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        self.dbsession.execute(
            delete(LoginThrottle).where(LoginThrottle.key.in_(expired)),
            execution_options={"synchronize_session": False},
        )
