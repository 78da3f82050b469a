"""Views for ``/api/v1/users`` and the user's memberships."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.audit.recorder import record_changes, record_created
from access_platform.db import lock_for_update
from access_platform.errors import ApiError, validation_error
from access_platform.etags import check_if_match, set_etag
from access_platform.groups import services as group_services
from access_platform.groups.listing import member_of_page
from access_platform.idempotency import idempotent
from access_platform.listing import ListQuery, envelope, fetch_page, invalid_parameter, max_limit
from access_platform.payloads import json_body, validated_body
from access_platform.rbac.effective import effective_permissions as compute_effective_permissions
from access_platform.rbac.explain import explain
from access_platform.references import Reference, parse_reference
from access_platform.responses import created, no_content, query_params
from access_platform.users import services
from access_platform.users.models import USER_STATUSES, User
from access_platform.users.representation import user_json, user_location
from access_platform.users.resources import (
    DeactivateAction,
    EffectivePermissionsResource,
    MemberOf,
    MemberOfAdd,
    MemberOfEntryRef,
    UserCollection,
    UserResource,
)
from access_platform.users.schemas import USER_READ_ONLY_FIELDS, UserCreateSchema, UserPatchSchema
from access_platform.workspaces.models import Workspace

# Schemas hold no state between calls, so one instance serves every request.
USER_CREATE_SCHEMA = UserCreateSchema()
USER_PATCH_SCHEMA = UserPatchSchema()


@view_config(context=UserCollection, request_method="GET", permission="users.read", renderer="json")
def list_users(context: UserCollection, request: Any) -> dict[str, Any]:
    params = query_params(request)
    query = ListQuery.from_request(
        params,
        services.USER_SORT_KEYS,
        "user_name",
        set(services.USER_FILTERS),
        max_limit=max_limit(request),
    )
    if "status" in params and params["status"] not in USER_STATUSES:
        raise invalid_parameter("status", f"expected one of {', '.join(USER_STATUSES)}.")

    page = fetch_page(
        request.dbsession, services.filtered_users(params), query, services.USER_SORT_KEYS, User.id
    )
    return envelope([user_json(request, user) for user in page.items], page.next_cursor, page.total)


@view_config(
    context=UserCollection,
    request_method="POST",
    permission="users.write",
    renderer="json",
    decorator=idempotent,
)
def create_user(context: UserCollection, request: Any) -> dict[str, Any]:
    body = validated_body(request, USER_CREATE_SCHEMA, USER_READ_ONLY_FIELDS)
    user = services.create_user(request.dbsession, body)
    record_created(request, "user.create", "user", user)
    created(request, user_location(request, user), user.version)
    return user_json(request, user)


@view_config(context=UserResource, request_method="GET", permission="users.read", renderer="json")
def get_user(context: UserResource, request: Any) -> dict[str, Any]:
    set_etag(request, context.user.version)
    return user_json(request, context.user)


@view_config(
    context=UserResource, request_method="PATCH", permission="users.write", renderer="json"
)
def patch_user(context: UserResource, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.user)
    check_if_match(request, context.user.version)
    changes = validated_body(request, USER_PATCH_SCHEMA, USER_READ_ONLY_FIELDS)
    with record_changes(request, "user.update", "user", context.user):
        user = services.update_user(request.dbsession, context.user, changes)
    set_etag(request, user.version)
    return user_json(request, user)


@view_config(
    context=DeactivateAction, request_method="POST", permission="users.write", renderer="json"
)
def deactivate_user(context: DeactivateAction, request: Any) -> dict[str, Any]:
    user = context.__parent__.user
    lock_for_update(request.dbsession, user)
    check_if_match(request, user.version)
    with record_changes(request, "user.deactivate", "user", user):
        services.deactivate_user(request.dbsession, user)
    set_etag(request, user.version)
    return user_json(request, user)


@view_config(context=MemberOf, request_method="GET", permission="users.read", renderer="json")
def list_member_of(context: MemberOf, request: Any) -> dict[str, Any]:
    return member_of_page(request, context.__parent__.user, query_params(request))


@view_config(context=MemberOfAdd, request_method="POST", permission="groups.write", renderer="json")
def add_member_of(context: MemberOfAdd, request: Any) -> dict[str, Any]:
    """Add the user to the group the body references; return the user's first page of groups."""
    user = context.__parent__.__parent__.user
    reference = parse_reference(json_body(request))
    if reference.kind == "user":
        raise validation_error(
            [{"pointer": "#/@odata.id", "detail": "memberOf takes a group reference, not a user."}]
        )

    group = group_services.resolve_reference(request.dbsession, Reference("group", reference.id))
    group_services.add_member(request, group, Reference("user", user.id))
    return member_of_page(request, user, {})


@view_config(context=MemberOfEntryRef, request_method="DELETE", permission="groups.write")
def remove_member_of(context: MemberOfEntryRef, request: Any) -> Any:
    entry = context.__parent__
    user = entry.__parent__.__parent__.user
    membership = group_services.find_membership(request.dbsession, entry.entry.id, user.id)
    group_services.remove_member(request, entry.entry, membership)
    return no_content(request)


@view_config(
    context=EffectivePermissionsResource,
    request_method="GET",
    permission="role_assignments.read",
    renderer="json",
)
def effective_permissions(context: EffectivePermissionsResource, request: Any) -> dict[str, Any]:
    """List each permission the user has tenant-wide, or in ``workspace_id``, with its sources."""
    params = query_params(request)
    unknown = set(params) - {"workspace_id"}
    if unknown:
        raise invalid_parameter(
            sorted(unknown)[0], "unknown parameter; the only one is workspace_id."
        )
    workspace_id = params.get("workspace_id")
    if workspace_id is not None and request.dbsession.get(Workspace, workspace_id) is None:
        raise ApiError(404, f"No workspace with id {workspace_id} exists.")

    user = context.__parent__.user
    grants = compute_effective_permissions(request.dbsession, user, with_paths=True)
    catalogue = list(request.registry.permission_catalogue)
    items = explain(grants, user.id, catalogue, workspace_id)
    return {**envelope(items, None), "user_id": user.id, "workspace_id": workspace_id}
