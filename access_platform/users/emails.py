"""A user's email addresses: the ``user_emails`` rows and the ``email`` column that mirrors them.

SCIM clients send a list of addresses; the REST API shows one, ``email``,
which is the primary address, or the first when none is marked primary.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from access_platform.users.models import User, UserEmail, fold_to_fit


def primary_email(emails: list[dict[str, Any]]) -> str | None:
    """Return the address the ``email`` column mirrors: the first primary one, else the first."""
    for email in emails:
        if email.get("primary") is True:
            return email["value"]
    return emails[0]["value"] if emails else None


def replace_emails(
    dbsession: Session, user: User, emails: list[dict[str, Any]], *, new_user: bool = False
) -> None:
    """Store ``emails`` (SCIM email objects with ``value``) as the user's addresses, in order.

    ``new_user`` skips deleting the old rows of a user inserted just now.
    """
    if not new_user:
        dbsession.execute(delete(UserEmail).where(UserEmail.user_id == user.id))
    for position, email in enumerate(stored_emails(emails)):
        dbsession.add(
            UserEmail(
                user_id=user.id,
                position=position,
                value=email.value,
                value_folded=fold_to_fit(email.value, UserEmail.__table__.c.value_folded, "emails"),
                type=email.type,
                primary=email.primary,
                display=email.display,
            )
        )
    user.email = primary_email(emails)


class StoredEmail(NamedTuple):
    """The columns of one ``user_emails`` row that a SCIM email object reads back from."""

    value: str
    type: str | None
    primary: bool | None
    display: str | None


def stored_emails(emails: list[dict[str, Any]]) -> list[StoredEmail]:
    """Return ``emails`` with the column values that :func:`replace_emails` stores for them."""
    stored = []
    for email in emails:
        is_primary = email.get("primary")
        stored.append(
            StoredEmail(
                email["value"],
                email.get("type"),
                is_primary if isinstance(is_primary, bool) else None,
                email.get("display"),
            )
        )
    return stored


def set_primary_email(dbsession: Session, user: User, value: str | None) -> None:
    """Apply the REST ``email`` field: change the primary address, add one, or remove it."""
    emails = [email_json(row) for row in load_emails(dbsession, [user.id]).get(user.id, [])]
    primary = next((email for email in emails if email.get("primary")), None)
    if primary is None and emails:
        primary = emails[0]
    if value is None:
        if primary is not None:
            emails.remove(primary)
    elif primary is not None:
        primary["value"] = value
    else:
        emails.insert(0, {"value": value, "type": "work", "primary": True})
    replace_emails(dbsession, user, emails)


def load_emails(dbsession: Session, user_ids: list[str]) -> dict[str, list[Row[Any]]]:
    """Return the addresses of several users, in their stored order, in one query.

    Each address is a row with ``value``, ``type``, ``primary`` and ``display``.
    """
    if not user_ids:
        return {}
    rows = dbsession.execute(
        select(
            UserEmail.user_id, UserEmail.value, UserEmail.type, UserEmail.primary, UserEmail.display
        )
        .where(UserEmail.user_id.in_(user_ids))
        .order_by(UserEmail.user_id, UserEmail.position)
    )
    by_user: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    return by_user


def email_json(row: Any) -> dict[str, Any]:
    """Return one address as a SCIM email object, leaving out empty sub-attributes."""
    email: dict[str, Any] = {"value": row.value}
    if row.type is not None:
        email["type"] = row.type
    if row.primary is not None:
        email["primary"] = row.primary
    if row.display is not None:
        email["display"] = row.display
    return email
