"""The ``POST /api/v1/$batch`` view."""

from __future__ import annotations

import logging
from typing import Any

from pyramid.view import view_config

from access_platform.batch.envelope import (
    check_idempotency_keys,
    execution_order,
    parse_envelope,
)
from access_platform.batch.resources import BatchResource
from access_platform.batch.runner import ItemResult, run_item
from access_platform.idempotency import HEADER as IDEMPOTENCY_HEADER
from access_platform.idempotency import idempotent
from access_platform.payloads import json_body
from access_platform.rbac.permissions import AUTHENTICATED

log = logging.getLogger(__name__)


@view_config(
    context=BatchResource,
    request_method="POST",
    permission=AUTHENTICATED,
    renderer="json",
    decorator=idempotent,
)
def run_batch(context: BatchResource, request: Any) -> Any:
    """Run every item and answer 200 with one result per item, in request order."""
    max_requests = request.registry.settings["access_platform.batch.max_requests"]
    items = parse_envelope(json_body(request), max_requests)
    check_idempotency_keys(items, request.headers.get(IDEMPOTENCY_HEADER))
    ordered = execution_order(items)

    results: dict[str, ItemResult] = {}
    for position, item in enumerate(ordered):
        results[item.id] = run_item(request, item, results, position)

    failed = sum(1 for result in results.values() if not result.succeeded)
    log.info("batch %s ran %d requests, %d failed", request.request_id, len(items), failed)
    members = ", ".join(results[item.id].to_json_text() for item in items)
    response = request.response
    response.content_type = "application/json"
    response.body = f'{{"responses": [{members}]}}'.encode()
    return response
