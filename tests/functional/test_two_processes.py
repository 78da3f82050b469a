"""Two app instances on one database, as two server processes would run.

Nothing is cached between requests: deactivation, key revocation and role
changes made through one instance act on the very next request to the
other. These tests keep it that way if a cache is ever added.
"""

from __future__ import annotations

from access_platform.rbac.models import USER_ADMIN_ROLE_ID


def _grant_user_admin(app, admin, user_id) -> str:
    body = {"role_id": USER_ADMIN_ROLE_ID, "principal_type": "user", "principal_id": user_id}
    return app.testapp.post_json("/api/v1/roleAssignments", body, headers=admin.headers).json["id"]


def test_deactivation_acts_on_the_other_instance(platform):
    first, second = platform(), platform()
    user = first.factory.user("leaver@example.com")
    _grant_user_admin(first, first.admin, user.user_id)
    second.testapp.get("/api/v1/users", headers=user.headers, status=200)

    first.testapp.post_json(
        f"/api/v1/users/{user.user_id}/deactivate", {}, headers=first.admin.headers
    )

    second.testapp.get("/api/v1/users", headers=user.headers, status=401)


def test_role_removal_acts_on_the_other_instance(platform):
    first, second = platform(), platform()
    user = first.factory.user("operator@example.com")
    assignment_id = _grant_user_admin(first, first.admin, user.user_id)
    second.testapp.get("/api/v1/users", headers=user.headers, status=200)

    first.testapp.delete(f"/api/v1/roleAssignments/{assignment_id}", headers=first.admin.headers)

    second.testapp.get("/api/v1/users", headers=user.headers, status=403)


def test_role_grant_acts_on_the_other_instance(platform):
    first, second = platform(), platform()
    user = first.factory.user("newcomer@example.com")
    second.testapp.get("/api/v1/users", headers=user.headers, status=403)

    _grant_user_admin(first, first.admin, user.user_id)

    second.testapp.get("/api/v1/users", headers=user.headers, status=200)


def test_scim_token_revocation_acts_on_the_other_instance(platform):
    first, second = platform(), platform()
    created = first.testapp.post_json(
        "/api/v1/admin/scim/tokens", {"name": "Entra ID"}, headers=first.admin.headers
    ).json
    bearer = {"Authorization": f"Bearer {created['token']}"}
    second.testapp.get("/scim/v2/Users", headers=bearer, status=200)

    first.testapp.post_json(
        f"/api/v1/admin/scim/tokens/{created['id']}/revoke", {}, headers=first.admin.headers
    )

    second.testapp.get("/scim/v2/Users", headers=bearer, status=401)
