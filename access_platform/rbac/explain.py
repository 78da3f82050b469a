"""``GET /users/{userId}/effectivePermissions``: each permission a user holds, and why."""

from __future__ import annotations

from typing import Any

from access_platform.rbac.effective import EffectivePermissions, Grant, group_path
from access_platform.rbac.models import ALL_PERMISSIONS_NAME


def _source_json(effective: EffectivePermissions, user_id: str, grant: Grant) -> dict[str, Any]:
    via_groups: list[str] = []
    if grant.principal_type == "group":
        via_groups = group_path(effective, user_id, grant.principal_id)
    return {
        "assignment_id": grant.assignment_id,
        "role_id": grant.role_id,
        "role_name": grant.role_name,
        "scope": "workspace" if grant.workspace_id else "tenant",
        "workspace_id": grant.workspace_id,
        "principal_type": grant.principal_type,
        "principal_id": grant.principal_id,
        "via_groups": via_groups,
    }


def explain(
    effective: EffectivePermissions, user_id: str, catalogue: list[str], workspace_id: str | None
) -> list[dict[str, Any]]:
    """Return one entry per permission held at the scope, each with the grants behind it.

    A role that lists ``*`` grants every catalogue permission, and is shown
    as a source of each.
    """
    sources: dict[str, list[dict[str, Any]]] = {}
    for grant in effective.grants:
        if grant.workspace_id is not None and grant.workspace_id != workspace_id:
            continue
        names = catalogue if grant.permission == ALL_PERMISSIONS_NAME else [grant.permission]
        source = _source_json(effective, user_id, grant)
        for name in names:
            sources.setdefault(name, [])
            if source not in sources[name]:
                sources[name].append(source)
    return [{"permission": name, "granted_by": sources[name]} for name in sorted(sources)]
