"""A small SCIM client and the URNs that the scim_extensions tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
INI_FILE = TESTS / "scim-extensions-test.ini"
EXAMPLE_FILE = TESTS.parent / "examples" / "acme-extension.json"

SCIM = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
ACME_USER = "urn:example:params:scim:schemas:extension:acme:2.0:User"
ACME_GROUP = "urn:example:params:scim:schemas:extension:acme:2.0:Group"


class ScimClient:
    """Sends SCIM requests to a test app with a bearer token."""

    def __init__(self, testapp: Any, headers: dict[str, str]) -> None:
        self.app = testapp
        self.headers = headers

    def send(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        return self.app.request(
            f"/scim/v2{path}",
            method=method,
            body=json.dumps(body).encode() if body is not None else b"",
            headers={**self.headers, "Content-Type": SCIM},
            status=status,
            expect_errors=status >= 400,
        )

    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        return self.app.get(f"/scim/v2{path}", params=params, headers=self.headers, status=status)

    def post(self, path: str, body: Any, status: int = 201) -> Any:
        return self.send("POST", path, body, status)

    def put(self, path: str, body: Any, status: int = 200) -> Any:
        return self.send("PUT", path, body, status)

    def patch(self, path: str, operations: list[dict[str, Any]], status: int = 200) -> Any:
        return self.send("PATCH", path, {"schemas": [PATCH_URN], "Operations": operations}, status)

    def create_user(self, user_name: str, acme: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a user, with ``acme`` as its Acme extension object when given."""
        body: dict[str, Any] = {"schemas": [USER_URN], "userName": user_name}
        if acme is not None:
            body["schemas"].append(ACME_USER)
            body[ACME_USER] = acme
        return self.post("/Users", body).json

    def find_users(self, filter_text: str) -> list[str]:
        """Return the userNames that ``filter_text`` selects, sorted."""
        body = self.get("/Users", filter=filter_text).json
        return sorted(resource["userName"] for resource in body["Resources"])


def assert_scim_error(response: Any, status: int, scim_type: str | None) -> str:
    """Check that ``response`` is a SCIM error of ``status`` and ``scim_type``; return detail."""
    assert response.status_int == status
    assert response.content_type == SCIM
    assert response.json["schemas"] == [ERROR_URN]
    assert response.json.get("scimType") == scim_type
    return response.json["detail"]
