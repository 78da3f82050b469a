"""Traversal for Graph-style relation collections such as ``members`` and ``memberOf``.

``.../members`` lists the relation, ``.../members/$ref`` adds to it, and
``.../members/{id}/$ref`` removes one entry; ``$ref`` is a traversal name
like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from access_platform.traversal import Resource

REF = "$ref"


class RelationAdd(Resource):
    """``.../<relation>/$ref``: POST adds a reference."""


class RelationEntryRef(Resource):
    """``.../<relation>/{id}/$ref``: DELETE removes the reference."""


class RelationEntry(Resource):
    """``.../<relation>/{id}``: one entry, found by :meth:`RelationCollection.find_entry`.

    Subclasses set ``children = {REF: <their RelationEntryRef subclass>}``.
    """

    def __init__(self, request: Any, name: str, parent: Resource, entry: Any) -> None:
        super().__init__(request, name, parent)
        self.entry = entry


class RelationCollection(Resource):
    """A relation of the parent resource.

    Subclasses implement :meth:`find_entry` and name their own resource
    classes, so that views can be registered for each relation separately,
    and the path parameter that an entry's id fills (``memberId``).
    """

    add_resource: type[RelationAdd] = RelationAdd
    entry_resource: type[RelationEntry] = RelationEntry
    entry_parameter: str = "entryId"

    def __getitem__(self, name: str) -> Resource:
        if name == REF:
            return self.add_resource(self.request, name, self)
        entry = self.find_entry(name)
        if entry is None:
            raise KeyError(name)
        return self.entry_resource(self.request, name, self, entry)

    def find_entry(self, entry_id: str) -> Any:
        """Return the relation entry for ``entry_id``, or ``None`` when there is none."""
        raise NotImplementedError

    @classmethod
    def child_segments(cls) -> Iterator[tuple[str, type[Resource]]]:
        yield REF, cls.add_resource
        yield "{" + cls.entry_parameter + "}", cls.entry_resource
