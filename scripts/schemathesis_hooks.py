"""schemathesis hooks for scripts/schemathesis_run.py: keep the run's own administrator usable.

schemathesis reuses ids it finds in responses, so it may deactivate the
administrator whose API key it calls with, or delete that administrator's
role assignment, after which every request gets 401 or 403 and tests
nothing. Before each unsafe request, this hook replaces the ids listed in
``ACCESS_PLATFORM_CONTRACT_PROTECTED_IDS`` (comma-separated) with an id
that does not exist, wherever they appear in the path or the body.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

PROTECTED_IDS_VARIABLE = "ACCESS_PLATFORM_CONTRACT_PROTECTED_IDS"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PROTECTED_IDS = frozenset(
    value for value in os.environ.get(PROTECTED_IDS_VARIABLE, "").split(",") if value
)


def _replace_ids(value: Any) -> Any:
    if isinstance(value, str):
        for protected in PROTECTED_IDS:
            value = value.replace(protected, UNKNOWN_ID)
        return value
    if isinstance(value, dict):
        return {_replace_ids(key): _replace_ids(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_ids(item) for item in value]
    return value


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.method.upper() in SAFE_METHODS:
        return
    if case.path_parameters:
        case.path_parameters = _replace_ids(case.path_parameters)
    if isinstance(case.body, dict | list | str):
        case.body = _replace_ids(case.body)
