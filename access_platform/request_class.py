"""One request class per app, holding every reified request property.

Pyramid attaches the properties added with ``config.add_request_method(...,
reify=True)`` by creating a new class for each request. In profiles of a
``$batch`` of user creates, that took about a tenth of each item's time. The
app factory calls
:func:`install_request_class` once, after every plugin is configured: it builds
a subclass of the request factory with those properties and registers it,
so requests and ``$batch`` subrequests get them without a new class each.
"""

from __future__ import annotations

from typing import Any

from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request


def install_request_class(registry: Any) -> type[Request]:
    """Register a request class with the app's reified properties, and return it."""
    base = registry.queryUtility(IRequestFactory, default=Request)
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not extensions.descriptors:
        return base

    properties = dict(extensions.descriptors)
    properties["__module__"] = __name__
    request_class = type("PlatformRequest", (base,), properties)

    # The methods stay per request; the properties now live on the class.
    remaining = type(extensions)()
    remaining.methods = dict(extensions.methods)
    registry.registerUtility(remaining, IRequestExtensions)
    registry.registerUtility(request_class, IRequestFactory)
    return request_class


def request_class(registry: Any) -> type[Request]:
    """Return the app's request class, for building subrequests."""
    return registry.queryUtility(IRequestFactory, default=Request)
