"""The base classes of every node in the resource tree, and a walk over the tree's shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar


class Resource:
    """A node of the tree. Subclasses list their fixed children in ``children``.

    Containers of stored objects subclass :class:`Collection` instead of
    overriding ``__getitem__``, so that :func:`walk_tree` can describe their
    children without a database.
    """

    children: ClassVar[Mapping[str, Callable[..., Resource]]] = {}

    def __init__(self, request: Any, name: str = "", parent: Resource | None = None) -> None:
        self.request = request
        self.__name__ = name
        self.__parent__ = parent

    def __getitem__(self, name: str) -> Resource:
        factory = self.children.get(name)
        if factory is None:
            raise KeyError(name)
        return factory(self.request, name, self)

    @classmethod
    def child_segments(cls) -> Iterator[tuple[str, type[Resource]]]:
        """Yield ``(segment, resource class)`` for each kind of child.

        A segment in braces, such as ``{userId}``, is a path parameter: it
        matches any name that the container finds.
        """
        for name, factory in cls.children.items():
            if not isinstance(factory, type):
                raise TypeError(f"{cls.__name__}.children[{name!r}] must be a Resource class")
            yield name, factory


class Collection(Resource):
    """A container of stored rows: a child name is a row's primary key.

    :cvar model: the mapped class whose rows are the children.
    :cvar item_resource: the resource class of one child; it is called as
        ``item_resource(request, name, parent, row)``.
    :cvar item_parameter: the name of the path parameter that the child's
        id fills, as the API documentation spells it (``userId``).
    """

    model: ClassVar[type]
    item_resource: ClassVar[type[Resource]]
    item_parameter: ClassVar[str]

    def __getitem__(self, name: str) -> Resource:
        row = self.request.dbsession.get(self.model, name)
        if row is None:
            raise KeyError(name)
        return self.item_resource(self.request, name, self, row)

    @classmethod
    def child_segments(cls) -> Iterator[tuple[str, type[Resource]]]:
        yield from super().child_segments()
        yield "{" + cls.item_parameter + "}", cls.item_resource


def walk_tree(
    resource_class: type[Resource], path: str = ""
) -> Iterator[tuple[str, type[Resource]]]:
    """Yield ``(path template, resource class)`` for ``resource_class`` and every class below it.

    Templates are relative to where ``resource_class`` sits, which is
    ``path``; the class itself is yielded with ``path`` or ``/``.
    """
    yield path or "/", resource_class
    for segment, child in resource_class.child_segments():
        yield from walk_tree(child, f"{path}/{segment}")
