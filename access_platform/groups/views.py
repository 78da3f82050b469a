"""Views for ``/api/v1/groups``, its members and its owners."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.audit.recorder import record_changes, record_created, record_deletion
from access_platform.db import lock_for_update
from access_platform.etags import check_if_match, set_etag
from access_platform.groups import services
from access_platform.groups.listing import members_page, owners_page
from access_platform.groups.models import MEMBERSHIP_MODES, Group
from access_platform.groups.representation import group_json, group_location
from access_platform.groups.resources import (
    GroupCollection,
    GroupResource,
    MemberEntryRef,
    Members,
    MembersAdd,
    OwnerEntryRef,
    Owners,
    OwnersAdd,
)
from access_platform.groups.schemas import (
    GROUP_READ_ONLY_FIELDS,
    GroupCreateSchema,
    GroupPatchSchema,
)
from access_platform.listing import ListQuery, envelope, fetch_page, invalid_parameter, max_limit
from access_platform.payloads import json_body, validated_body
from access_platform.references import parse_reference
from access_platform.responses import created, no_content, query_params


@view_config(
    context=GroupCollection, request_method="GET", permission="groups.read", renderer="json"
)
def list_groups(context: GroupCollection, request: Any) -> dict[str, Any]:
    params = query_params(request)
    query = ListQuery.from_request(
        params,
        services.GROUP_SORT_KEYS,
        "display_name",
        set(services.GROUP_FILTERS),
        max_limit=max_limit(request),
    )
    if "membership_mode" in params and params["membership_mode"] not in MEMBERSHIP_MODES:
        raise invalid_parameter(
            "membership_mode", f"expected one of {', '.join(MEMBERSHIP_MODES)}."
        )

    page = fetch_page(
        request.dbsession,
        services.filtered_groups(params),
        query,
        services.GROUP_SORT_KEYS,
        Group.id,
    )
    return envelope(
        [group_json(request, group) for group in page.items], page.next_cursor, page.total
    )


@view_config(
    context=GroupCollection, request_method="POST", permission="groups.write", renderer="json"
)
def create_group(context: GroupCollection, request: Any) -> dict[str, Any]:
    body = validated_body(request, GroupCreateSchema(), GROUP_READ_ONLY_FIELDS - {"source"})
    group = services.create_group(request.dbsession, body)
    record_created(request, "group.create", "group", group)
    created(request, group_location(request, group), group.version)
    return group_json(request, group)


@view_config(context=GroupResource, request_method="GET", permission="groups.read", renderer="json")
def get_group(context: GroupResource, request: Any) -> dict[str, Any]:
    set_etag(request, context.group.version)
    return group_json(request, context.group)


@view_config(
    context=GroupResource, request_method="PATCH", permission="groups.write", renderer="json"
)
def patch_group(context: GroupResource, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.group)
    check_if_match(request, context.group.version)
    changes = validated_body(request, GroupPatchSchema(), GROUP_READ_ONLY_FIELDS)
    with record_changes(request, "group.update", "group", context.group):
        group = services.update_group(request.dbsession, context.group, changes)
    set_etag(request, group.version)
    return group_json(request, group)


@view_config(context=GroupResource, request_method="DELETE", permission="groups.write")
def delete_group(context: GroupResource, request: Any) -> Any:
    lock_for_update(request.dbsession, context.group)
    check_if_match(request, context.group.version)
    with record_deletion(request, "group.delete", "group", context.group) as details:
        details.update(services.delete_group(request.dbsession, context.group))
    return no_content(request)


@view_config(context=Members, request_method="GET", permission="groups.read", renderer="json")
def list_members(context: Members, request: Any) -> dict[str, Any]:
    return members_page(request, context.__parent__.group, query_params(request))


@view_config(context=MembersAdd, request_method="POST", permission="groups.write", renderer="json")
def add_member(context: MembersAdd, request: Any) -> dict[str, Any]:
    """Add the referenced user or group; return the first page of members."""
    group = context.__parent__.__parent__.group
    services.add_member(request, group, parse_reference(json_body(request)))
    return members_page(request, group, {})


@view_config(context=MemberEntryRef, request_method="DELETE", permission="groups.write")
def remove_member(context: MemberEntryRef, request: Any) -> Any:
    entry = context.__parent__
    services.remove_member(request, entry.__parent__.__parent__.group, entry.entry)
    return no_content(request)


@view_config(context=Owners, request_method="GET", permission="groups.read", renderer="json")
def list_owners(context: Owners, request: Any) -> dict[str, Any]:
    return owners_page(request, context.__parent__.group, query_params(request))


@view_config(context=OwnersAdd, request_method="POST", permission="groups.write", renderer="json")
def add_owner(context: OwnersAdd, request: Any) -> dict[str, Any]:
    """Add the referenced user as an owner; return the first page of owners."""
    group = context.__parent__.__parent__.group
    services.add_owner(request, group, parse_reference(json_body(request)))
    return owners_page(request, group, {})


@view_config(context=OwnerEntryRef, request_method="DELETE", permission="groups.write")
def remove_owner(context: OwnerEntryRef, request: Any) -> Any:
    entry = context.__parent__
    services.remove_owner(request, entry.__parent__.__parent__.group, entry.entry)
    return no_content(request)
