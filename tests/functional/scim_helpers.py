"""Helpers shared by the SCIM tests."""

from __future__ import annotations

from typing import Any

SCIM = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Scim:
    """A SCIM client over webtest, with a bearer token."""

    def __init__(self, testapp: Any, headers: dict[str, str]) -> None:
        self.app = testapp
        self.headers = headers

    def _send(
        self, method: str, path: str, body: Any, status: int | None, content_type: str
    ) -> Any:
        import json

        headers = {**self.headers, "Content-Type": content_type}
        return self.app.request(
            f"/scim/v2{path}",
            method=method,
            body=json.dumps(body).encode() if body is not None else b"",
            headers=headers,
            status=status,
            expect_errors=status is not None and status >= 400,
        )

    def post(self, path: str, body: Any, status: int | None = 201, content_type: str = SCIM) -> Any:
        return self._send("POST", path, body, status, content_type)

    def put(self, path: str, body: Any, status: int | None = 200) -> Any:
        return self._send("PUT", path, body, status, SCIM)

    def patch(self, path: str, operations: list[dict[str, Any]], status: int | None = 200) -> Any:
        return self._send(
            "PATCH", path, {"schemas": [PATCH_URN], "Operations": operations}, status, SCIM
        )

    def get(self, path: str, status: int | None = 200, **params: Any) -> Any:
        return self.app.get(f"/scim/v2{path}", params=params, headers=self.headers, status=status)

    def delete(self, path: str, status: int | None = 204) -> Any:
        return self.app.delete(f"/scim/v2{path}", headers=self.headers, status=status)

    def create_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [USER_URN], "userName": user_name, **attributes}
        return self.post("/Users", body).json

    def create_group(self, display_name: str, members: list[str] = ()) -> dict[str, Any]:
        body = {
            "schemas": [GROUP_URN],
            "displayName": display_name,
            "members": [{"value": member} for member in members],
        }
        return self.post("/Groups", body).json


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> None:
    assert response.status_int == status
    assert response.content_type == SCIM
    assert response.json["schemas"] == [ERROR_URN]
    assert response.json["status"] == str(status)
    if scim_type is not None:
        assert response.json["scimType"] == scim_type


def member_values(group: dict[str, Any]) -> list[str]:
    return sorted(member["value"] for member in group.get("members", []))
