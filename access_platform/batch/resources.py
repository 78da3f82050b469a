"""``/api/v1/$batch``."""

from __future__ import annotations

from access_platform.traversal import Resource


class BatchResource(Resource):
    """``/api/v1/$batch``: POST runs a batch of subrequests."""
