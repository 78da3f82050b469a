"""Views for issuing, listing and revoking SCIM tokens."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import colander
from pyramid.view import view_config
from sqlalchemy import select

from access_platform.audit.recorder import record_changes, record_created
from access_platform.db import utcnow
from access_platform.errors import validation_error
from access_platform.listing import (
    ListQuery,
    SortKey,
    datetime_sort_key,
    envelope,
    fetch_page,
    max_limit,
)
from access_platform.payloads import StrictString, length, not_blank, validated_body
from access_platform.responses import created, query_params
from access_platform.scim.admin_resources import (
    RevokeAction,
    ScimTokenCollection,
    ScimTokenResource,
)
from access_platform.scim.models import SCIM_SCOPES, ScimToken
from access_platform.scim.services import issue_scim_token

log = logging.getLogger(__name__)

MANAGE = "scim_tokens.manage"
TOKEN_SORT_KEYS = {
    "created_at": datetime_sort_key(ScimToken.created_at),
    "name": SortKey(ScimToken.name),
}


def _future_timestamp(node: colander.SchemaNode, value: str | None) -> None:
    if value is None:
        return
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise colander.Invalid(
            node, "Expected an RFC 3339 timestamp, such as 2027-01-31T00:00:00Z."
        ) from None
    if moment.tzinfo is None:
        raise colander.Invalid(node, "The timestamp needs a time zone, such as Z for UTC.")
    if moment <= utcnow():
        raise colander.Invalid(node, "The expiry must be in the future.")


class ScimTokenCreateSchema(colander.MappingSchema):
    name = colander.SchemaNode(
        StrictString(), validator=colander.All(length(min=1, max=255), not_blank)
    )
    expires_at = colander.SchemaNode(
        StrictString(),
        missing=None,
        nullable=True,
        validator=_future_timestamp,
        json_schema={"format": "date-time"},
    )
    scopes = colander.SchemaNode(
        colander.Sequence(),
        colander.SchemaNode(StrictString(), validator=colander.OneOf(list(SCIM_SCOPES))),
        missing=list(SCIM_SCOPES),
        validator=colander.Length(min=1, min_err="Name at least one scope: read or write."),
    )


def token_status(token: ScimToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"


def token_json(request: Any, token: ScimToken) -> dict[str, Any]:
    """Return a token as listed: its prefix and digest, never its secret."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "secret_sha256": token.secret_digest,
        "scopes": token.scopes,
        "status": token_status(token),
        "created_by": token.created_by,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@view_config(context=ScimTokenCollection, request_method="GET", permission=MANAGE, renderer="json")
def list_tokens(context: ScimTokenCollection, request: Any) -> dict[str, Any]:
    query = ListQuery.from_request(
        query_params(request), TOKEN_SORT_KEYS, "created_at", set(), max_limit=max_limit(request)
    )
    page = fetch_page(request.dbsession, select(ScimToken), query, TOKEN_SORT_KEYS, ScimToken.id)
    return envelope(
        [token_json(request, token) for token in page.items], page.next_cursor, page.total
    )


@view_config(context=ScimTokenCollection, request_method="POST", permission=MANAGE, renderer="json")
def create_token(context: ScimTokenCollection, request: Any) -> dict[str, Any]:
    """Issue a token; the response is the only place its secret ever appears."""
    body = validated_body(request, ScimTokenCreateSchema())
    scopes = tuple(scope for scope in SCIM_SCOPES if scope in body["scopes"])
    if len(scopes) != len(body["scopes"]):
        raise validation_error([{"pointer": "#/scopes", "detail": "Each scope may appear once."}])
    expires_at = datetime.fromisoformat(body["expires_at"]) if body["expires_at"] else None

    issued = issue_scim_token(
        request.dbsession, body["name"], request.identity.user.id, expires_at, scopes
    )
    record_created(request, "scim_token.create", "scim_token", issued.token)
    created(request, request.application_url + f"/api/v1/admin/scim/tokens/{issued.token.id}", None)
    return {**token_json(request, issued.token), "token": issued.secret}


@view_config(context=ScimTokenResource, request_method="GET", permission=MANAGE, renderer="json")
def get_token(context: ScimTokenResource, request: Any) -> dict[str, Any]:
    return token_json(request, context.token)


@view_config(context=RevokeAction, request_method="POST", permission=MANAGE, renderer="json")
def revoke_token(context: RevokeAction, request: Any) -> dict[str, Any]:
    """Revoke a token, effective from the next SCIM request; revoking again changes nothing."""
    token = context.__parent__.token
    if token.revoked_at is None:
        with record_changes(request, "scim_token.revoke", "scim_token", token):
            token.revoked_at = utcnow()
            request.dbsession.flush()
        log.info("revoked SCIM token %s", token.id)
    return token_json(request, token)
