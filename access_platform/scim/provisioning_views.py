"""Views for ``/scim/v2/Users`` and ``/scim/v2/Groups`` (RFC 7644 section 3)."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response
from pyramid.view import view_config

from access_platform.db import lock_for_update
from access_platform.errors import ApiError
from access_platform.payloads import json_body
from access_platform.rbac.permissions import SCIM_READ, SCIM_WRITE
from access_platform.responses import no_content, query_params
from access_platform.scim import provisioning, query
from access_platform.scim.projection import project
from access_platform.scim.resources import (
    ScimGroup,
    ScimGroups,
    ScimRootSearch,
    ScimSearch,
    ScimUser,
    ScimUsers,
)
from access_platform.scim.resources_json import etag
from access_platform.scim.views import LIST_RESPONSE_URN

SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SEARCH_FIELDS = frozenset(
    {
        "schemas",
        "filter",
        "startIndex",
        "count",
        "sortBy",
        "sortOrder",
        "attributes",
        "excludedAttributes",
    }
)


def _answer(
    request: Any, resource: dict[str, Any], version: int, status: int = 200
) -> dict[str, Any]:
    request.response.status_code = status
    request.response.headers["ETag"] = etag(version)
    if status == 201:
        request.response.location = resource["meta"]["location"]
    params = query_params(request)
    return project(
        resource,
        query.attribute_names(params, "attributes"),
        query.attribute_names(params, "excludedAttributes"),
    )


def _check_if_match(request: Any, version: int) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        return
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    if "*" in candidates or f'"{version}"' in candidates:
        return
    raise ApiError(
        412,
        f"If-Match {header} does not match the current version {etag(version)}.",
        headers={"ETag": etag(version)},
    )


def _not_modified(request: Any, version: int) -> Response | None:
    """Return an empty 304 when ``If-None-Match`` names the current version, else ``None``."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    if "*" in candidates or f'"{version}"' in candidates:
        response = Response(status=304)
        response.content_type = None
        response.headers["ETag"] = etag(version)
        return response
    return None


def _list_response(total: int, start_index: int, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def _search(request: Any, params: dict[str, Any], users: bool) -> dict[str, Any]:
    limits = query.ListLimits.from_settings(request.registry.settings)
    if users:
        schema = provisioning.resource_schema(request.registry, "User")
        parameters = query.list_parameters(
            params, query.USER_FILTERS.with_schema(schema), query.USER_SORT, query.User.id, limits
        )
        total, resources = provisioning.list_users(request, parameters)
    else:
        schema = provisioning.resource_schema(request.registry, "Group")
        parameters = query.list_parameters(
            params,
            query.GROUP_FILTERS.with_schema(schema),
            query.GROUP_SORT,
            query.Group.id,
            limits,
        )
        total, resources = provisioning.list_groups(request, parameters)
    projected = [
        project(resource, parameters.attributes, parameters.excluded_attributes)
        for resource in resources
    ]
    return _list_response(total, parameters.start_index, projected)


@view_config(context=ScimUsers, request_method="GET", permission=SCIM_READ, renderer="scim")
def list_users(context: ScimUsers, request: Any) -> dict[str, Any]:
    return _search(request, query_params(request), users=True)


@view_config(context=ScimGroups, request_method="GET", permission=SCIM_READ, renderer="scim")
def list_groups(context: ScimGroups, request: Any) -> dict[str, Any]:
    return _search(request, query_params(request), users=False)


def _search_request(request: Any) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict) or SEARCH_REQUEST_URN not in (body.get("schemas") or []):
        raise ApiError(
            400,
            f"The body must be a SearchRequest with schemas [{SEARCH_REQUEST_URN}].",
            scim_type="invalidSyntax",
        )
    unknown = sorted(set(body) - SEARCH_FIELDS)
    if unknown:
        raise ApiError(
            400, f"Unknown SearchRequest attribute {unknown[0]}.", scim_type="invalidSyntax"
        )
    return body


@view_config(context=ScimSearch, request_method="POST", permission=SCIM_READ, renderer="scim")
def search(context: ScimSearch, request: Any) -> dict[str, Any]:
    """Run ``POST .search``: the query parameters of a list, sent as a SearchRequest body."""
    body = _search_request(request)
    return _search(request, body, users=isinstance(context.__parent__, ScimUsers))


@view_config(context=ScimRootSearch, request_method="POST", permission=SCIM_READ, renderer="scim")
def search_all(context: ScimRootSearch, request: Any) -> dict[str, Any]:
    """Return the Users, then the Groups, matching a ``POST /.search``.

    A resource type whose attributes the filter does not name is left out,
    so ``userName eq "x"`` searches Users only; a filter that fits neither
    gets 400 ``invalidFilter``. Paging runs over the joined list.

    NOTE: the join contains at most ``access_platform.scim.max_count`` matches
    of each type, so pages past those are empty even when ``totalResults``
    is larger.
    """
    body = _search_request(request)
    limits = query.ListLimits.from_settings(request.registry.settings)
    paging = query.list_parameters(
        {name: value for name, value in body.items() if name != "filter"},
        query.USER_FILTERS,
        query.USER_SORT,
        query.User.id,
        limits,
    )
    everything = {**body, "startIndex": 1, "count": limits.max_count}
    found: list[dict[str, Any]] = []
    total = 0
    errors: list[ApiError] = []
    for users in (True, False):
        try:
            result = _search(request, everything, users=users)
        except ApiError as error:
            if error.scim_type != "invalidFilter":
                raise
            errors.append(error)
            continue
        total += result["totalResults"]
        found.extend(result["Resources"])
    if len(errors) == 2:
        raise errors[0]

    start = paging.start_index - 1
    return _list_response(total, paging.start_index, found[start : start + paging.count])


@view_config(context=ScimUsers, request_method="POST", permission=SCIM_WRITE, renderer="scim")
def create_user(context: ScimUsers, request: Any) -> dict[str, Any]:
    user, resource = provisioning.create_user(request, json_body(request))
    return _answer(request, resource, user.version, 201)


@view_config(context=ScimUser, request_method="GET", permission=SCIM_READ, renderer="scim")
def get_user(context: ScimUser, request: Any) -> Any:
    not_modified = _not_modified(request, context.user.version)
    if not_modified is not None:
        return not_modified
    return _answer(
        request, provisioning.user_as_resource(request, context.user), context.user.version
    )


@view_config(context=ScimUser, request_method="PUT", permission=SCIM_WRITE, renderer="scim")
def replace_user(context: ScimUser, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.user)
    _check_if_match(request, context.user.version)
    user = provisioning.replace_user(request, context.user, json_body(request))
    return _answer(request, provisioning.user_as_resource(request, user), user.version)


@view_config(context=ScimUser, request_method="PATCH", permission=SCIM_WRITE, renderer="scim")
def patch_user(context: ScimUser, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.user)
    _check_if_match(request, context.user.version)
    user = provisioning.patch_user(request, context.user, json_body(request))
    return _answer(request, provisioning.user_as_resource(request, user), user.version)


@view_config(context=ScimUser, request_method="DELETE", permission=SCIM_WRITE)
def delete_user(context: ScimUser, request: Any) -> Any:
    _check_if_match(request, context.user.version)
    provisioning.delete_user(request, context.user)
    return no_content(request)


@view_config(context=ScimGroups, request_method="POST", permission=SCIM_WRITE, renderer="scim")
def create_group(context: ScimGroups, request: Any) -> dict[str, Any]:
    group = provisioning.create_group(request, json_body(request))
    return _answer(request, provisioning.group_as_resource(request, group), group.version, 201)


@view_config(context=ScimGroup, request_method="GET", permission=SCIM_READ, renderer="scim")
def get_group(context: ScimGroup, request: Any) -> Any:
    not_modified = _not_modified(request, context.group.version)
    if not_modified is not None:
        return not_modified
    excluded = {
        name.lower() for name in query.attribute_names(query_params(request), "excludedAttributes")
    }
    resource = provisioning.group_as_resource(
        request, context.group, with_members="members" not in excluded
    )
    return _answer(request, resource, context.group.version)


@view_config(context=ScimGroup, request_method="PUT", permission=SCIM_WRITE, renderer="scim")
def replace_group(context: ScimGroup, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.group)
    _check_if_match(request, context.group.version)
    group = provisioning.replace_group(request, context.group, json_body(request))
    return _answer(request, provisioning.group_as_resource(request, group), group.version)


@view_config(context=ScimGroup, request_method="PATCH", permission=SCIM_WRITE, renderer="scim")
def patch_group(context: ScimGroup, request: Any) -> dict[str, Any]:
    lock_for_update(request.dbsession, context.group)
    _check_if_match(request, context.group.version)
    group = provisioning.patch_group(request, context.group, json_body(request))
    return _answer(request, provisioning.group_as_resource(request, group), group.version)


@view_config(context=ScimGroup, request_method="DELETE", permission=SCIM_WRITE)
def delete_group(context: ScimGroup, request: Any) -> Any:
    _check_if_match(request, context.group.version)
    provisioning.delete_scim_group(request, context.group)
    return no_content(request)
