"""The ceiling: the cheapest JSON response Pyramid can give under the same waitress settings.

``GET /ceiling`` returns a small JSON object from one view, with no
database, no authentication, no transaction manager and no tweens.
Requests per second against it bound what any access-platform view can
reach on the same machine, so run.py reports each operation as a share
of it. It is a benchmark fixture and not part of the product.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator


def ceiling(request: Any) -> dict[str, Any]:
    return {"status": "ok", "service": "ceiling"}


def main(global_config: dict[str, Any], **settings: Any) -> Any:
    """Build the ceiling WSGI app; pserve calls this through ``use = call:ceiling_app:main``."""
    with Configurator(settings=settings) as config:
        # Traversal from the default root, as the product resolves its URLs.
        config.add_view(ceiling, name="ceiling", request_method="GET", renderer="json")
    return config.make_wsgi_app()
