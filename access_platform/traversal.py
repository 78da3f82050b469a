"""The base class of every node in the resource tree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar


class Resource:
    """A node of the tree. Subclasses list their fixed children in ``children``.

    Containers of stored objects override ``__getitem__`` to look the
    object up and raise ``KeyError`` when there is none.
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
