"""``attributes`` and ``excludedAttributes``: trimming a SCIM resource for the response.

RFC 7644 section 3.9: ``attributes`` lists the attributes to return (plus
``id`` and ``schemas``, which are always returned), ``excludedAttributes``
the ones to leave out. Names are case-insensitive, may name a
sub-attribute (``name.givenName``) and may carry a schema URN prefix.
"""

from __future__ import annotations

from typing import Any

ALWAYS_RETURNED = frozenset({"id", "schemas"})


def _resolve(resource: dict[str, Any], name: str) -> tuple[str, str | None]:
    """Return the lowercased top-level key and sub-attribute that ``name`` points at.

    Extension attributes live under their schema URN, so
    ``urn:...:enterprise:2.0:User:employeeNumber`` resolves to that URN key
    and the sub-attribute ``employeenumber``; a core URN prefix is dropped.
    """
    lowered = name.lower()
    for key in resource:
        urn = key.lower()
        if not urn.startswith("urn:"):
            continue
        if lowered == urn:
            return urn, None
        if lowered.startswith(urn + ":"):
            return urn, lowered[len(urn) + 1 :].split(".")[0]
    if lowered.startswith("urn:"):
        lowered = lowered.rsplit(":", 1)[1]
    attribute, _, sub_attribute = lowered.partition(".")
    return attribute, sub_attribute or None


def project(
    resource: dict[str, Any], attributes: tuple[str, ...], excluded: tuple[str, ...]
) -> dict[str, Any]:
    """Return ``resource`` with only the requested attributes, or without the excluded ones."""
    if attributes:
        wanted: dict[str, set[str] | None] = {}
        for name in attributes:
            attribute, sub_attribute = _resolve(resource, name)
            if sub_attribute is None:
                wanted[attribute] = None
            elif wanted.get(attribute, set()) is not None:
                wanted.setdefault(attribute, set()).add(sub_attribute)
        trimmed: dict[str, Any] = {}
        for key, value in resource.items():
            lowered = key.lower()
            if lowered in ALWAYS_RETURNED:
                trimmed[key] = value
            elif lowered in wanted:
                subs = wanted[lowered]
                trimmed[key] = value if subs is None else _keep_subs(value, subs)
        return trimmed

    if excluded:
        trimmed = dict(resource)
        for name in excluded:
            attribute, sub_attribute = _resolve(resource, name)
            for key in list(trimmed):
                if key.lower() != attribute or key.lower() in ALWAYS_RETURNED:
                    continue
                if sub_attribute is None:
                    del trimmed[key]
                else:
                    trimmed[key] = _drop_sub(trimmed[key], sub_attribute)
        return trimmed
    return resource


def _keep_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key.lower() in subs}
    if isinstance(value, list):
        return [_keep_subs(item, subs) for item in value]
    return value


def _drop_sub(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key.lower() != sub}
    if isinstance(value, list):
        return [_drop_sub(item, sub) for item in value]
    return value
