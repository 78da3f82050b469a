"""Issuing SCIM bearer tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from access_platform import credentials
from access_platform.scim.models import SCIM_SCOPES, ScimToken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedScimToken:
    """A new SCIM token and its secret, which is shown once and never stored."""

    token: ScimToken
    secret: str


def issue_scim_token(
    dbsession: Session,
    name: str,
    created_by: str | None,
    expires_at: datetime | None = None,
    scopes: tuple[str, ...] = SCIM_SCOPES,
) -> IssuedScimToken:
    """Create a SCIM token and return it with its secret."""
    prefix = credentials.new_prefix()
    secret = credentials.new_secret(credentials.SCIM_TOKEN_KIND, prefix)
    token = ScimToken(
        name=name,
        prefix=prefix,
        secret_digest=credentials.digest(secret),
        scopes=list(scopes),
        created_by=created_by,
        expires_at=expires_at,
    )
    dbsession.add(token)
    dbsession.flush()
    log.info("issued SCIM token %s (prefix %s)", token.id, prefix)
    return IssuedScimToken(token, secret)
