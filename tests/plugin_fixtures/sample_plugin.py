"""Throwaway plugins for the plugin-manager tests, installed through a dist-info folder."""

from __future__ import annotations

from typing import Any

from access_platform.hookspecs import hookimpl
from access_platform.resources import ApiV1
from access_platform.scim.resources import ScimV2
from access_platform.scim.schema import ScimAttribute, ScimSchema

BADGE_URN = "urn:example:params:scim:schemas:extension:badge:2.0:User"
BADGE_SCHEMA = ScimSchema(
    id=BADGE_URN,
    name="Badge",
    description="Building access badges, for the plugin tests.",
    resource_type="User",
    extension=True,
    attributes=(
        ScimAttribute("badgeNumber", case_exact=True),
        ScimAttribute("clearance", type="integer"),
        ScimAttribute("contractor", type="boolean"),
        ScimAttribute("validUntil", type="dateTime"),
        ScimAttribute(
            "doors",
            type="complex",
            multi_valued=True,
            sub_attributes=(
                ScimAttribute("value", required=True),
                ScimAttribute("floor", type="integer"),
                ScimAttribute("since", type="dateTime"),
            ),
        ),
    ),
)
BADGE_GROUP_URN = "urn:example:params:scim:schemas:extension:badge:2.0:Group"
BADGE_GROUP_SCHEMA = ScimSchema(
    id=BADGE_GROUP_URN,
    name="BadgeGroup",
    description="Building access for a whole group, for the plugin tests.",
    resource_type="Group",
    extension=True,
    attributes=(ScimAttribute("wing"), ScimAttribute("floors", type="integer", multi_valued=True)),
)


def _fail(context: Any, request: Any) -> Any:
    raise RuntimeError("sample plugin failure: internal detail 7f3a")


def _greeting(context: Any, request: Any) -> dict[str, str]:
    return {"greeting": request.registry.sample_greeting}


class SamplePlugin:
    """Adds views that fail or echo a setting, so tests can reach error paths over HTTP."""

    @hookimpl
    def access_platform_configure(self, config: Any, plugin_settings: dict[str, Any]) -> None:
        config.registry.sample_greeting = plugin_settings.get("greeting", "none")
        config.add_view(_fail, context=ApiV1, name="sample-failure", permission="authenticated")
        config.add_view(
            _greeting,
            context=ApiV1,
            name="sample-greeting",
            permission="authenticated",
            renderer="json",
            request_method="GET",
        )
        config.add_view(_fail, context=ScimV2, name="sample-failure", permission="scim.read")
        config.add_view(
            _greeting,
            context=ScimV2,
            name="sample-write",
            permission="scim.write",
            renderer="scim",
            request_method="POST",
        )

    @hookimpl
    def access_platform_scim_schemas(self) -> list[ScimSchema]:
        return [BADGE_SCHEMA, BADGE_GROUP_SCHEMA]

    @hookimpl
    def access_platform_group_change_veto(self, request: Any, change: Any) -> str | None:
        if change.group.display_name.startswith("locked-"):
            return "Sample rule: groups named locked-* are frozen."
        return None


class MisspelledPlugin:
    """Implements a hook name that no spec defines."""

    @hookimpl
    def access_platform_authentcate(self, request: Any) -> None:
        return None


class WrongArgumentPlugin:
    """Implements a real hook with an argument that the hook does not offer."""

    @hookimpl
    def access_platform_permissions(self, catalogue: Any) -> None:
        return None


class FailingDelivery:
    """Fails every invitation delivery, to show that the others still run."""

    @hookimpl
    def access_platform_invitation_issued(self, invitation: Any) -> None:
        raise RuntimeError("mail server unreachable")


sample = SamplePlugin()
wrong_argument = WrongArgumentPlugin()
failing_delivery = FailingDelivery()
misspelled = MisspelledPlugin()
