"""The groups API over HTTP: groups, members, owners, memberOf and the guardrails."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
import webtest

from access_platform.db import session_scope
from access_platform.groups.models import Group, GroupOwner
from access_platform.rbac.models import TENANT_ADMIN_ROLE_ID, RoleAssignment

GROUPS = "/api/v1/groups"
USERS = "/api/v1/users"
PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"

ABOUT_BLANK = "about:blank"
VALIDATION_FAILED = "urn:access-platform:problem:validation-failed"
INVALID_QUERY_PARAMETER = "urn:access-platform:problem:invalid-query-parameter"
PRECONDITION_FAILED = "urn:access-platform:problem:precondition-failed"
GROUP_NAME_TAKEN = "urn:access-platform:problem:group-name-taken"
ALREADY_MEMBER = "urn:access-platform:problem:already-member"
ALREADY_OWNER = "urn:access-platform:problem:already-owner"
MEMBERSHIP_CYCLE = "urn:access-platform:problem:membership-cycle"
GROUP_READ_ONLY = "urn:access-platform:problem:group-read-only"
READ_ONLY_DETAIL = "Read-only field; it cannot be set or changed."
SAMPLE_VETO = "Sample rule: groups named locked-* are frozen."


# --- Helpers ----------------------------------------------------------------------


def create_group(testapp, headers, display_name, status=201, **fields):
    return testapp.post_json(
        GROUPS, {"display_name": display_name, **fields}, headers=headers, status=status
    )


def user_url(user_id: str) -> dict[str, str]:
    return {"@odata.id": f"{USERS}/{user_id}"}


def group_url(group_id: str) -> dict[str, str]:
    return {"@odata.id": f"{GROUPS}/{group_id}"}


def add_member(testapp, headers, group_id, reference, status=200):
    return testapp.post_json(
        f"{GROUPS}/{group_id}/members/$ref", reference, headers=headers, status=status
    )


def add_owner(testapp, headers, group_id, reference, status=200):
    return testapp.post_json(
        f"{GROUPS}/{group_id}/owners/$ref", reference, headers=headers, status=status
    )


def member_ids(testapp, headers, group_id) -> list[str]:
    body = testapp.get(f"{GROUPS}/{group_id}/members", headers=headers).json
    return [item["id"] for item in body["items"]]


def owner_ids(testapp, headers, group_id) -> list[str]:
    body = testapp.get(f"{GROUPS}/{group_id}/owners", headers=headers).json
    return [item["id"] for item in body["items"]]


def member_of_names(testapp, headers, user_id, **params) -> list[str]:
    body = testapp.get(f"{USERS}/{user_id}/memberOf", params, headers=headers).json
    return [group["display_name"] for group in body["items"]]


def group_names(testapp, headers, **params) -> list[str]:
    body = testapp.get(GROUPS, params, headers=headers).json
    return [group["display_name"] for group in body["items"]]


def assert_problem(response, status: int, problem_type: str = ABOUT_BLANK) -> dict:
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["type"] == problem_type
    return body


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json["errors"]}


def snapshot(testapp, headers, group_id) -> dict:
    """Return what a rejected request must leave unchanged about one group."""
    group = testapp.get(f"{GROUPS}/{group_id}", headers=headers)
    return {
        "group": group.json,
        "etag": group.headers["ETag"],
        "members": member_ids(testapp, headers, group_id),
        "owners": owner_ids(testapp, headers, group_id),
        "groups": [item["id"] for item in testapp.get(GROUPS, headers=headers).json["items"]],
    }


def run_at_once(wsgi_app, attempts) -> list[int]:
    """Run every ``attempt(app)`` in its own thread, all at once, and return the statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(attempts))

    def run(attempt) -> None:
        app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        statuses.append(attempt(app).status_int)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def send(testapp, method, path, body, headers, status):
    if method == "GET":
        return testapp.get(path, headers=headers, status=status)
    if method == "DELETE":
        return testapp.delete(path, headers=headers, status=status)
    if method == "POST":
        return testapp.post_json(path, body, headers=headers, status=status)
    return testapp.patch_json(path, body, headers=headers, status=status)


@pytest.fixture
def team(testapp, admin, factory):
    """A local group with one member and one owner, and a user in neither role."""
    group = create_group(testapp, admin.headers, "Team").json
    member = factory.user()
    owner = factory.user()
    outsider = factory.user()
    add_member(testapp, admin.headers, group["id"], user_url(member.user_id))
    add_owner(testapp, admin.headers, group["id"], user_url(owner.user_id))
    return SimpleNamespace(
        group=group["id"], member=member.user_id, owner=owner.user_id, user=outsider.user_id
    )


# --- Credentials and permissions --------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/v1/groups", None),
    ("POST", "/api/v1/groups", {"display_name": "Intruders"}),
    ("GET", "/api/v1/groups/{group}", None),
    ("PATCH", "/api/v1/groups/{group}", {"description": "changed"}),
    ("DELETE", "/api/v1/groups/{group}", None),
    ("GET", "/api/v1/groups/{group}/members", None),
    ("POST", "/api/v1/groups/{group}/members/$ref", "/api/v1/users/{user}"),
    ("DELETE", "/api/v1/groups/{group}/members/{member}/$ref", None),
    ("GET", "/api/v1/groups/{group}/owners", None),
    ("POST", "/api/v1/groups/{group}/owners/$ref", "/api/v1/users/{user}"),
    ("DELETE", "/api/v1/groups/{group}/owners/{owner}/$ref", None),
    ("GET", "/api/v1/users/{member}/memberOf", None),
    ("POST", "/api/v1/users/{user}/memberOf/$ref", "/api/v1/groups/{group}"),
    ("DELETE", "/api/v1/users/{member}/memberOf/{group}/$ref", None),
]


def endpoint_request(team, path, body):
    path = path.format(**vars(team))
    if isinstance(body, str):
        body = {"@odata.id": body.format(**vars(team))}
    return path, body


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoint_needs_credentials(testapp, admin, team, method, path, body):
    path, body = endpoint_request(team, path, body)
    before = snapshot(testapp, admin.headers, team.group)

    response = send(testapp, method, path, body, {}, 401)

    assert_problem(response, 401)
    assert snapshot(testapp, admin.headers, team.group) == before
    assert member_of_names(testapp, admin.headers, team.user) == []


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoint_needs_permission(testapp, admin, factory, team, method, path, body):
    path, body = endpoint_request(team, path, body)
    before = snapshot(testapp, admin.headers, team.group)

    response = send(testapp, method, path, body, factory.user().headers, 403)

    assert_problem(response, 403)
    assert snapshot(testapp, admin.headers, team.group) == before
    assert member_of_names(testapp, admin.headers, team.user) == []


# --- Create -----------------------------------------------------------------------


def test_create_returns_201_with_location_and_etag(testapp, admin):
    response = create_group(
        testapp, admin.headers, "Engineering", description="Builds things", external_id="ext-1"
    )

    body = response.json
    assert response.headers["Location"] == f"http://localhost{GROUPS}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["display_name"] == "Engineering"
    assert body["description"] == "Builds things"
    assert body["external_id"] == "ext-1"
    assert body["source"] == "local"
    assert body["membership_mode"] == "assigned"
    assert body["created_at"].endswith("Z")
    assert body["updated_at"].endswith("Z")


def test_created_group_is_readable(testapp, admin):
    created = create_group(testapp, admin.headers, "Readers").json

    response = testapp.get(f"{GROUPS}/{created['id']}", headers=admin.headers)

    assert response.json == created
    assert response.headers["ETag"] == '"1"'


def test_create_sets_source_and_mode(testapp, admin):
    body = create_group(
        testapp, admin.headers, "Synced", source="idp", membership_mode="dynamic"
    ).json

    assert body["source"] == "idp"
    assert body["membership_mode"] == "dynamic"


@pytest.mark.parametrize(
    ("existing", "taken"),
    [("Operations", "OPERATIONS"), ("operations", "Operations"), ("Ärzte", "äRZTE")],
)
def test_create_taken_name_any_case_gets_409(testapp, admin, existing, taken):
    create_group(testapp, admin.headers, existing)

    response = create_group(testapp, admin.headers, taken, status=409)

    assert_problem(response, 409, GROUP_NAME_TAKEN)
    assert group_names(testapp, admin.headers) == [existing]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"display_name": ""}, "#/display_name"),
        ({"display_name": "   "}, "#/display_name"),
        ({"display_name": None}, "#/display_name"),
        ({"display_name": 7}, "#/display_name"),
        ({"display_name": "x" * 256}, "#/display_name"),
        ({"description": "x" * 1025}, "#/description"),
        ({"external_id": 12}, "#/external_id"),
        ({"membership_mode": "static"}, "#/membership_mode"),
        ({"source": "IdP"}, "#/source"),
        ({"source": ""}, "#/source"),
        ({"colour": "blue"}, "#/colour"),
        ({"members@odata.bind": []}, "#/members@odata.bind"),
    ],
)
def test_create_rejects_invalid_field(testapp, admin, fields, pointer):
    body = {"display_name": "Valid", **fields}

    response = testapp.post_json(GROUPS, body, headers=admin.headers, status=422)

    assert_problem(response, 422, VALIDATION_FAILED)
    assert pointer in pointers(response)
    assert group_names(testapp, admin.headers) == []


def test_create_without_display_name_gets_422(testapp, admin):
    response = testapp.post_json(GROUPS, {"description": "x"}, headers=admin.headers, status=422)

    assert_problem(response, 422, VALIDATION_FAILED)
    assert pointers(response) == {"#/display_name"}


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at"])
def test_create_rejects_read_only_field(testapp, admin, field):
    body = {"display_name": "Valid", field: "2024-01-01T00:00:00Z"}

    response = testapp.post_json(GROUPS, body, headers=admin.headers, status=422)

    assert response.json["errors"] == [{"pointer": f"#/{field}", "detail": READ_ONLY_DETAIL}]
    assert group_names(testapp, admin.headers) == []


# --- Read and list ----------------------------------------------------------------


def test_get_unknown_group_gets_404(testapp, admin):
    response = testapp.get(f"{GROUPS}/{UNKNOWN_ID}", headers=admin.headers, status=404)
    assert_problem(response, 404)


def test_list_envelope(testapp, admin):
    create_group(testapp, admin.headers, "Only")

    body = testapp.get(GROUPS, headers=admin.headers).json

    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert [group["display_name"] for group in body["items"]] == ["Only"]


def test_list_empty(testapp, admin):
    body = testapp.get(GROUPS, headers=admin.headers).json
    assert body == {"items": [], "next_cursor": None}


def test_list_count_adds_total(testapp, admin):
    for name in ("one", "two", "three"):
        create_group(testapp, admin.headers, name)
    create_group(testapp, admin.headers, "synced", source="idp")

    body = testapp.get(
        GROUPS, {"count": "true", "limit": "2", "source": "local"}, headers=admin.headers
    ).json

    assert body["total"] == 3
    assert len(body["items"]) == 2
    assert body["next_cursor"] is not None


def test_list_count_false_omits_total(testapp, admin):
    create_group(testapp, admin.headers, "one")

    body = testapp.get(GROUPS, {"count": "false"}, headers=admin.headers).json

    assert "total" not in body


def test_list_pages_are_stable_across_inserts(testapp, admin):
    for name in ("b", "d", "f", "h"):
        create_group(testapp, admin.headers, name)
    params = {"limit": "2", "sort": "display_name"}

    first = testapp.get(GROUPS, params, headers=admin.headers).json
    # Inserted before and after the cursor position while the client pages.
    for name in ("a", "c", "z"):
        create_group(testapp, admin.headers, name)
    second = testapp.get(
        GROUPS, {**params, "cursor": first["next_cursor"]}, headers=admin.headers
    ).json
    third = testapp.get(
        GROUPS, {**params, "cursor": second["next_cursor"]}, headers=admin.headers
    ).json

    assert [group["display_name"] for group in first["items"]] == ["b", "d"]
    assert [group["display_name"] for group in second["items"]] == ["f", "h"]
    assert [group["display_name"] for group in third["items"]] == ["z"]
    assert third["next_cursor"] is None


def test_list_pages_descending_across_inserts(testapp, admin):
    for name in ("b", "d", "f", "h"):
        create_group(testapp, admin.headers, name)
    params = {"limit": "2", "sort": "-display_name"}

    first = testapp.get(GROUPS, params, headers=admin.headers).json
    for name in ("a", "g", "z"):
        create_group(testapp, admin.headers, name)
    seen = [group["display_name"] for group in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = testapp.get(GROUPS, {**params, "cursor": cursor}, headers=admin.headers).json
        seen.extend(group["display_name"] for group in page["items"])
        cursor = page["next_cursor"]

    assert seen == ["h", "f", "d", "b", "a"]


def test_list_pages_by_created_at(testapp, admin):
    created = [create_group(testapp, admin.headers, f"g{index}").json["id"] for index in range(5)]

    seen: list[str] = []
    params = {"limit": "2", "sort": "created_at"}
    while True:
        page = testapp.get(GROUPS, params, headers=admin.headers).json
        seen.extend(group["id"] for group in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == created


def test_list_sorts_by_display_name_ignoring_case(testapp, admin):
    for name in ("gamma", "Beta", "alpha"):
        create_group(testapp, admin.headers, name)

    assert group_names(testapp, admin.headers) == ["alpha", "Beta", "gamma"]
    assert group_names(testapp, admin.headers, sort="-display_name") == ["gamma", "Beta", "alpha"]


def test_list_sorts_by_created_at(testapp, admin):
    for name in ("second", "first", "third"):
        create_group(testapp, admin.headers, name)

    assert group_names(testapp, admin.headers, sort="created_at") == ["second", "first", "third"]
    assert group_names(testapp, admin.headers, sort="-created_at") == ["third", "first", "second"]


def test_list_sorts_by_updated_at(testapp, admin):
    ids = {name: create_group(testapp, admin.headers, name).json["id"] for name in ("a", "b", "c")}
    testapp.patch_json(f"{GROUPS}/{ids['a']}", {"description": "touched"}, headers=admin.headers)

    assert group_names(testapp, admin.headers, sort="updated_at") == ["b", "c", "a"]
    assert group_names(testapp, admin.headers, sort="-updated_at") == ["a", "c", "b"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"source": "idp"}, ["Sales"]),
        ({"source": "local"}, ["Dynamic Staff", "Engineering"]),
        ({"membership_mode": "dynamic"}, ["Dynamic Staff"]),
        ({"membership_mode": "assigned"}, ["Engineering", "Sales"]),
        ({"external_id": "ext-eng"}, ["Engineering"]),
        ({"external_id": "ext-none"}, []),
        ({"q": "eng"}, ["Engineering"]),
        ({"q": "ENG"}, ["Engineering"]),
        ({"q": "neer"}, []),
        ({"q": "%"}, []),
        ({"q": "_"}, []),
        ({"q": "\\"}, []),
        ({"source": "local", "q": "dyn"}, ["Dynamic Staff"]),
        ({"source": "idp", "membership_mode": "dynamic"}, []),
    ],
)
def test_list_filters(testapp, admin, params, expected):
    create_group(testapp, admin.headers, "Engineering", external_id="ext-eng")
    create_group(testapp, admin.headers, "Sales", source="idp", external_id="ext-sales")
    create_group(testapp, admin.headers, "Dynamic Staff", membership_mode="dynamic")

    assert group_names(testapp, admin.headers, **params) == expected


def test_q_folds_non_ascii_case(testapp, admin):
    create_group(testapp, admin.headers, "Ärzte")
    create_group(testapp, admin.headers, "Arbeit")

    assert group_names(testapp, admin.headers, q="äRZ") == ["Ärzte"]


def test_list_accepts_limit_bounds(testapp, admin):
    create_group(testapp, admin.headers, "one")
    create_group(testapp, admin.headers, "two")

    assert group_names(testapp, admin.headers, limit="1") == ["one"]
    assert group_names(testapp, admin.headers, limit="1000") == ["one", "two"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "description"}, "sort"),
        ({"sort": "-id"}, "sort"),
        ({"count": "yes"}, "count"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"membership_mode": "static"}, "membership_mode"),
        ({"colour": "blue"}, "colour"),
        ({"displayName": "x"}, "displayName"),
    ],
)
def test_list_rejects_bad_parameter(testapp, admin, params, parameter):
    response = testapp.get(GROUPS, params, headers=admin.headers, status=400)

    assert_problem(response, 400, INVALID_QUERY_PARAMETER)
    assert response.json["errors"][0]["parameter"] == parameter


def test_cursor_from_other_sort_is_rejected(testapp, admin):
    create_group(testapp, admin.headers, "one")
    create_group(testapp, admin.headers, "two")
    cursor = testapp.get(GROUPS, {"limit": "1"}, headers=admin.headers).json["next_cursor"]

    response = testapp.get(
        GROUPS,
        {"limit": "1", "sort": "-display_name", "cursor": cursor},
        headers=admin.headers,
        status=400,
    )

    assert_problem(response, 400, INVALID_QUERY_PARAMETER)
    assert response.json["errors"][0]["parameter"] == "cursor"


# --- Patch ------------------------------------------------------------------------


def test_patch_changes_only_sent_fields(testapp, admin):
    group = create_group(
        testapp, admin.headers, "Old", description="old text", external_id="ext-1"
    ).json
    path = f"{GROUPS}/{group['id']}"

    response = testapp.patch_json(
        path, {"display_name": "New", "description": None}, headers=admin.headers
    )

    body = response.json
    assert response.status_int == 200
    assert response.headers["ETag"] == '"2"'
    assert body["display_name"] == "New"
    assert body["description"] is None
    assert body["external_id"] == "ext-1"
    assert body["created_at"] == group["created_at"]
    assert body["updated_at"] != group["updated_at"]
    assert testapp.get(path, headers=admin.headers).json == body


def test_patch_accepts_merge_patch_media_type(testapp, admin):
    group = create_group(testapp, admin.headers, "Old").json

    response = testapp.patch(
        f"{GROUPS}/{group['id']}",
        b'{"membership_mode": "dynamic"}',
        headers={**admin.headers, "Content-Type": "application/merge-patch+json"},
    )

    assert response.json["membership_mode"] == "dynamic"


def test_patch_empty_object_changes_nothing(testapp, admin):
    group = create_group(testapp, admin.headers, "Same").json

    response = testapp.patch_json(f"{GROUPS}/{group['id']}", {}, headers=admin.headers)

    assert response.json == group
    assert response.headers["ETag"] == '"1"'


def test_patch_own_name_other_case(testapp, admin):
    group = create_group(testapp, admin.headers, "finance").json

    response = testapp.patch_json(
        f"{GROUPS}/{group['id']}", {"display_name": "Finance"}, headers=admin.headers
    )

    assert response.json["display_name"] == "Finance"


def test_patch_to_taken_name_gets_409(testapp, admin):
    create_group(testapp, admin.headers, "Taken")
    group = create_group(testapp, admin.headers, "Mine").json
    path = f"{GROUPS}/{group['id']}"

    response = testapp.patch_json(
        path, {"display_name": "tAKEN"}, headers=admin.headers, status=409
    )

    assert_problem(response, 409, GROUP_NAME_TAKEN)
    after = testapp.get(path, headers=admin.headers)
    assert after.json == group
    assert after.headers["ETag"] == '"1"'


@pytest.mark.parametrize("field", ["id", "source", "created_at", "updated_at"])
def test_patch_rejects_read_only_field(testapp, admin, field):
    group = create_group(testapp, admin.headers, "Fixed").json
    path = f"{GROUPS}/{group['id']}"

    response = testapp.patch_json(
        path, {field: "idp", "description": "changed"}, headers=admin.headers, status=422
    )

    assert_problem(response, 422, VALIDATION_FAILED)
    assert response.json["errors"] == [{"pointer": f"#/{field}", "detail": READ_ONLY_DETAIL}]
    assert testapp.get(path, headers=admin.headers).json == group


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"display_name": ""}, "#/display_name"),
        ({"display_name": "  "}, "#/display_name"),
        ({"display_name": None}, "#/display_name"),
        ({"display_name": "x" * 256}, "#/display_name"),
        ({"description": 3}, "#/description"),
        ({"external_id": "x" * 256}, "#/external_id"),
        ({"membership_mode": None}, "#/membership_mode"),
        ({"membership_mode": "static"}, "#/membership_mode"),
        ({"owner": "someone"}, "#/owner"),
    ],
)
def test_patch_rejects_invalid_change(testapp, admin, changes, pointer):
    group = create_group(testapp, admin.headers, "Fixed").json
    path = f"{GROUPS}/{group['id']}"

    response = testapp.patch_json(
        path, {"description": "changed", **changes}, headers=admin.headers, status=422
    )

    assert_problem(response, 422, VALIDATION_FAILED)
    assert pointers(response) == {pointer}
    assert testapp.get(path, headers=admin.headers).json == group


def test_patch_non_object_gets_422(testapp, admin):
    group = create_group(testapp, admin.headers, "Fixed").json

    response = testapp.patch_json(
        f"{GROUPS}/{group['id']}", ["display_name"], headers=admin.headers, status=422
    )

    assert_problem(response, 422, VALIDATION_FAILED)


def test_patch_unknown_group_gets_404(testapp, admin):
    response = testapp.patch_json(
        f"{GROUPS}/{UNKNOWN_ID}", {"description": "x"}, headers=admin.headers, status=404
    )
    assert_problem(response, 404)


# --- ETags and If-Match -----------------------------------------------------------


def test_patch_with_current_etag_succeeds(testapp, admin):
    group = create_group(testapp, admin.headers, "Tagged").json
    path = f"{GROUPS}/{group['id']}"
    etag = testapp.get(path, headers=admin.headers).headers["ETag"]

    response = testapp.patch_json(
        path, {"description": "new"}, headers={**admin.headers, "If-Match": etag}
    )

    assert response.json["description"] == "new"
    assert response.headers["ETag"] == '"2"'


def test_patch_with_wildcard_etag_succeeds(testapp, admin):
    group = create_group(testapp, admin.headers, "Tagged").json

    response = testapp.patch_json(
        f"{GROUPS}/{group['id']}",
        {"description": "new"},
        headers={**admin.headers, "If-Match": "*"},
    )

    assert response.json["description"] == "new"


def test_patch_with_stale_etag_gets_412(testapp, admin):
    group = create_group(testapp, admin.headers, "Tagged").json
    path = f"{GROUPS}/{group['id']}"
    testapp.patch_json(path, {"description": "first"}, headers=admin.headers)

    response = testapp.patch_json(
        path,
        {"description": "second", "display_name": "Renamed"},
        headers={**admin.headers, "If-Match": '"1"'},
        status=412,
    )

    assert_problem(response, 412, PRECONDITION_FAILED)
    assert response.headers["ETag"] == '"2"'
    after = testapp.get(path, headers=admin.headers)
    assert after.json["description"] == "first"
    assert after.json["display_name"] == "Tagged"
    assert after.headers["ETag"] == '"2"'


def test_delete_with_stale_etag_gets_412(testapp, admin):
    group = create_group(testapp, admin.headers, "Tagged").json
    path = f"{GROUPS}/{group['id']}"
    testapp.patch_json(path, {"description": "first"}, headers=admin.headers)

    response = testapp.delete(path, headers={**admin.headers, "If-Match": '"1"'}, status=412)

    assert_problem(response, 412, PRECONDITION_FAILED)
    testapp.get(path, headers=admin.headers, status=200)


def test_delete_with_current_etag_succeeds(testapp, admin):
    group = create_group(testapp, admin.headers, "Tagged").json
    path = f"{GROUPS}/{group['id']}"

    testapp.delete(path, headers={**admin.headers, "If-Match": '"1"'}, status=204)

    testapp.get(path, headers=admin.headers, status=404)


def test_concurrent_patches_all_succeed(wsgi_app, testapp, admin):
    # Without If-Match the last write wins, so every writer gets 200.
    group = create_group(testapp, admin.headers, "Busy").json
    path = f"{GROUPS}/{group['id']}"

    def patch(description):
        return lambda app: app.patch_json(
            path, {"description": description}, headers=admin.headers, expect_errors=True
        )

    statuses = run_at_once(wsgi_app, [patch(f"writer {index}") for index in range(4)])

    assert statuses == [200, 200, 200, 200]
    after = testapp.get(path, headers=admin.headers)
    assert after.json["description"].startswith("writer ")
    assert after.headers["ETag"] == '"5"'


def test_concurrent_if_match_patches_give_one_200(wsgi_app, testapp, admin):
    group = create_group(testapp, admin.headers, "Busy").json
    path = f"{GROUPS}/{group['id']}"
    headers = {**admin.headers, "If-Match": '"1"'}

    def patch(description):
        return lambda app: app.patch_json(
            path, {"description": description}, headers=headers, expect_errors=True
        )

    statuses = run_at_once(wsgi_app, [patch(f"writer {index}") for index in range(4)])

    assert sorted(statuses) == [200, 412, 412, 412]
    assert testapp.get(path, headers=admin.headers).headers["ETag"] == '"2"'


# --- Delete -----------------------------------------------------------------------


def test_delete_returns_204(testapp, admin):
    group = create_group(testapp, admin.headers, "Doomed").json
    path = f"{GROUPS}/{group['id']}"

    response = testapp.delete(path, headers=admin.headers, status=204)

    assert response.body == b""
    assert_problem(testapp.get(path, headers=admin.headers, status=404), 404)
    assert group_names(testapp, admin.headers) == []


def test_delete_unknown_group_gets_404(testapp, admin):
    response = testapp.delete(f"{GROUPS}/{UNKNOWN_ID}", headers=admin.headers, status=404)
    assert_problem(response, 404)


def test_delete_cascades_memberships_and_owners(testapp, admin, factory, registry):
    parent = create_group(testapp, admin.headers, "parent").json
    doomed = create_group(testapp, admin.headers, "doomed").json
    child = create_group(testapp, admin.headers, "child").json
    member = factory.user()
    owner = factory.user()
    add_member(testapp, admin.headers, parent["id"], group_url(doomed["id"]))
    add_member(testapp, admin.headers, doomed["id"], group_url(child["id"]))
    add_member(testapp, admin.headers, doomed["id"], user_url(member.user_id))
    add_member(testapp, admin.headers, child["id"], user_url(member.user_id))
    add_owner(testapp, admin.headers, doomed["id"], user_url(owner.user_id))
    with session_scope(registry.db_session_factory) as dbsession:
        dbsession.add(
            RoleAssignment(
                role_id=TENANT_ADMIN_ROLE_ID, principal_type="group", principal_id=doomed["id"]
            )
        )

    testapp.delete(f"{GROUPS}/{doomed['id']}", headers=admin.headers, status=204)

    assert member_ids(testapp, admin.headers, parent["id"]) == []
    assert member_ids(testapp, admin.headers, child["id"]) == [member.user_id]
    assert member_of_names(testapp, admin.headers, member.user_id) == ["child"]
    assert member_of_names(testapp, admin.headers, member.user_id, transitive="true") == ["child"]
    assert factory.get(GroupOwner, {"group_id": doomed["id"], "user_id": owner.user_id}) is None
    with session_scope(registry.db_session_factory) as dbsession:
        assignments = dbsession.query(RoleAssignment).filter_by(principal_id=doomed["id"]).all()
        assert assignments == []
    assert group_names(testapp, admin.headers) == ["child", "parent"]


def test_recreate_after_delete(testapp, admin):
    group = create_group(testapp, admin.headers, "Phoenix").json
    testapp.delete(f"{GROUPS}/{group['id']}", headers=admin.headers, status=204)

    again = create_group(testapp, admin.headers, "phoenix").json

    assert again["id"] != group["id"]


# --- Members ----------------------------------------------------------------------


def test_add_member_returns_members_page(testapp, admin, factory):
    group = create_group(testapp, admin.headers, "Team").json
    user = factory.user()

    response = add_member(testapp, admin.headers, group["id"], user_url(user.user_id))

    assert response.status_int == 200
    assert set(response.json) == {"items", "next_cursor"}
    assert [item["id"] for item in response.json["items"]] == [user.user_id]


def test_members_list_reports_object_type(testapp, admin, factory):
    group = create_group(testapp, admin.headers, "Team").json
    nested = create_group(testapp, admin.headers, "Nested").json
    user = factory.user("member@example.com")
    add_member(testapp, admin.headers, group["id"], user_url(user.user_id))
    add_member(testapp, admin.headers, group["id"], group_url(nested["id"]))

    items = testapp.get(f"{GROUPS}/{group['id']}/members", headers=admin.headers).json["items"]

    by_id = {item["id"]: item for item in items}
    assert len(items) == 2
    assert by_id[user.user_id]["object_type"] == "user"
    assert by_id[user.user_id]["user_name"] == "member@example.com"
    assert by_id[nested["id"]]["object_type"] == "group"
    assert by_id[nested["id"]]["display_name"] == "Nested"
    assert [item["id"] for item in items] == sorted(by_id)


def test_members_list_pages_and_counts(testapp, admin, factory):
    group = create_group(testapp, admin.headers, "Team").json
    users = sorted(factory.user().user_id for _ in range(3))
    for user_id in users:
        add_member(testapp, admin.headers, group["id"], user_url(user_id))
    path = f"{GROUPS}/{group['id']}/members"

    first = testapp.get(path, {"limit": "2", "count": "true"}, headers=admin.headers).json
    second = testapp.get(
        path, {"limit": "2", "cursor": first["next_cursor"]}, headers=admin.headers
    ).json

    assert first["total"] == 3
    assert [item["id"] for item in first["items"]] == users[:2]
    assert [item["id"] for item in second["items"]] == users[2:]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/groups/{group}/members",
        "/api/v1/groups/{group}/owners",
        "/api/v1/users/{member}/memberOf",
    ],
)
def test_relation_list_rejects_unknown_parameter(testapp, admin, team, path):
    response = testapp.get(
        path.format(**vars(team)), {"colour": "blue"}, headers=admin.headers, status=400
    )

    assert_problem(response, 400, INVALID_QUERY_PARAMETER)
    assert response.json["errors"][0]["parameter"] == "colour"


def test_members_of_unknown_group_gets_404(testapp, admin, factory):
    user = factory.user()

    assert_problem(
        testapp.get(f"{GROUPS}/{UNKNOWN_ID}/members", headers=admin.headers, status=404), 404
    )
    assert_problem(
        add_member(testapp, admin.headers, UNKNOWN_ID, user_url(user.user_id), status=404), 404
    )


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/users/{id}",
        "users/{id}",
        "/users/{id}",
        "https://localhost/api/v1/users/{id}",
        "http://other.example/api/v1/users/{id}/",
        "/api/v1/directoryObjects/{id}",
        "  /api/v1/users/{id}  ",
    ],
)
def test_add_member_accepts_reference_forms(testapp, admin, factory, template):
    group = create_group(testapp, admin.headers, "Team").json
    user = factory.user()

    add_member(testapp, admin.headers, group["id"], {"@odata.id": template.format(id=user.user_id)})

    assert member_ids(testapp, admin.headers, group["id"]) == [user.user_id]


def test_add_group_member_by_directory_object(testapp, admin):
    group = create_group(testapp, admin.headers, "Team").json
    nested = create_group(testapp, admin.headers, "Nested").json

    add_member(
        testapp,
        admin.headers,
        group["id"],
        {"@odata.id": f"/api/v1/directoryObjects/{nested['id']}"},
    )

    assert member_ids(testapp, admin.headers, group["id"]) == [nested["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        "users/x",
        {"@odata.id": ""},
        {"@odata.id": None},
        {"@odata.id": 5},
        {"@odata.id": "not a url"},
        {"@odata.id": "/api/v1/roles/{id}"},
        {"@odata.id": "/api/v1/users/"},
        {"@odata.id": "/api/v1/users/{id}/memberOf"},
        {"@odata.id": "/api/v1/users/{id}?select=id"},
        {"@odata.id": "/api/v1/users/{id}#top"},
        {"@odata.id": "/api/v1/users/{id}", "member_type": "user"},
    ],
)
def test_add_member_rejects_malformed_reference(testapp, admin, factory, body):
    group = create_group(testapp, admin.headers, "Team").json
    user = factory.user()
    if isinstance(body, dict) and isinstance(body.get("@odata.id"), str):
        body = {**body, "@odata.id": body["@odata.id"].format(id=user.user_id)}

    response = add_member(testapp, admin.headers, group["id"], body, status=422)

    assert_problem(response, 422, VALIDATION_FAILED)
    assert member_ids(testapp, admin.headers, group["id"]) == []


def test_add_member_unknown_group_gets_404(testapp, admin):
    group = create_group(testapp, admin.headers, "Team").json

    response = add_member(testapp, admin.headers, group["id"], group_url(UNKNOWN_ID), status=404)

    body = assert_problem(response, 404)
    assert UNKNOWN_ID in body["detail"]
    assert member_ids(testapp, admin.headers, group["id"]) == []


def test_add_group_as_user_reference_gets_404(testapp, admin):
    group = create_group(testapp, admin.headers, "Team").json
    nested = create_group(testapp, admin.headers, "Nested").json

    response = add_member(testapp, admin.headers, group["id"], user_url(nested["id"]), status=404)

    assert_problem(response, 404)
    assert member_ids(testapp, admin.headers, group["id"]) == []


def test_add_group_member_twice_gets_409(testapp, admin):
    group = create_group(testapp, admin.headers, "Team").json
    nested = create_group(testapp, admin.headers, "Nested").json
    add_member(testapp, admin.headers, group["id"], group_url(nested["id"]))

    response = add_member(testapp, admin.headers, group["id"], group_url(nested["id"]), status=409)

    body = assert_problem(response, 409, ALREADY_MEMBER)
    assert nested["id"] in body["detail"]
    assert member_ids(testapp, admin.headers, group["id"]) == [nested["id"]]


def test_remove_member_returns_204(testapp, admin, team):
    path = f"{GROUPS}/{team.group}/members/{team.member}/$ref"

    response = testapp.delete(path, headers=admin.headers, status=204)

    assert response.body == b""
    assert member_ids(testapp, admin.headers, team.group) == []
    assert member_of_names(testapp, admin.headers, team.member) == []


def test_remove_member_twice_gets_404(testapp, admin, team):
    path = f"{GROUPS}/{team.group}/members/{team.member}/$ref"
    testapp.delete(path, headers=admin.headers, status=204)

    response = testapp.delete(path, headers=admin.headers, status=404)

    assert_problem(response, 404)


def test_remove_group_member(testapp, admin):
    group = create_group(testapp, admin.headers, "Team").json
    nested = create_group(testapp, admin.headers, "Nested").json
    add_member(testapp, admin.headers, group["id"], group_url(nested["id"]))

    testapp.delete(
        f"{GROUPS}/{group['id']}/members/{nested['id']}/$ref", headers=admin.headers, status=204
    )

    assert member_ids(testapp, admin.headers, group["id"]) == []
    testapp.get(f"{GROUPS}/{nested['id']}", headers=admin.headers, status=200)


# --- Nesting and cycles -----------------------------------------------------------


def test_group_cannot_contain_itself(testapp, admin):
    group = create_group(testapp, admin.headers, "Self").json

    response = add_member(testapp, admin.headers, group["id"], group_url(group["id"]), status=409)

    assert_problem(response, 409, MEMBERSHIP_CYCLE)
    assert member_ids(testapp, admin.headers, group["id"]) == []


def test_direct_cycle_is_rejected(testapp, admin):
    outer = create_group(testapp, admin.headers, "outer").json
    inner = create_group(testapp, admin.headers, "inner").json
    add_member(testapp, admin.headers, outer["id"], group_url(inner["id"]))

    response = add_member(testapp, admin.headers, inner["id"], group_url(outer["id"]), status=409)

    assert_problem(response, 409, MEMBERSHIP_CYCLE)
    assert member_ids(testapp, admin.headers, inner["id"]) == []
    assert member_ids(testapp, admin.headers, outer["id"]) == [inner["id"]]


def test_two_level_cycle_is_rejected(testapp, admin):
    top = create_group(testapp, admin.headers, "top").json
    middle = create_group(testapp, admin.headers, "middle").json
    bottom = create_group(testapp, admin.headers, "bottom").json
    add_member(testapp, admin.headers, top["id"], group_url(middle["id"]))
    add_member(testapp, admin.headers, middle["id"], group_url(bottom["id"]))

    response = add_member(testapp, admin.headers, bottom["id"], group_url(top["id"]), status=409)

    assert_problem(response, 409, MEMBERSHIP_CYCLE)
    assert member_ids(testapp, admin.headers, bottom["id"]) == []


def test_shared_nested_group_is_allowed(testapp, admin):
    # A group reachable along two paths is a diamond, not a cycle.
    top = create_group(testapp, admin.headers, "top").json
    left = create_group(testapp, admin.headers, "left").json
    shared = create_group(testapp, admin.headers, "shared").json
    add_member(testapp, admin.headers, top["id"], group_url(left["id"]))
    add_member(testapp, admin.headers, left["id"], group_url(shared["id"]))

    add_member(testapp, admin.headers, top["id"], group_url(shared["id"]))

    assert sorted(member_ids(testapp, admin.headers, top["id"])) == sorted(
        [left["id"], shared["id"]]
    )


def test_concurrent_cross_adds_make_no_cycle(wsgi_app, testapp, admin):
    # In each pair, each group is added to the other at the same moment. One
    # add per pair must get 409, because both succeeding would make a cycle.
    # Several pairs race at once to widen the window in which the race shows.
    pairs = [
        (
            create_group(testapp, admin.headers, f"left-{index}").json["id"],
            create_group(testapp, admin.headers, f"right-{index}").json["id"],
        )
        for index in range(5)
    ]

    def nest(parent_id, child_id):
        return lambda app: app.post_json(
            f"{GROUPS}/{parent_id}/members/$ref",
            group_url(child_id),
            headers=admin.headers,
            expect_errors=True,
        )

    attempts = []
    for left, right in pairs:
        attempts.append(nest(left, right))
        attempts.append(nest(right, left))
    statuses = run_at_once(wsgi_app, attempts)

    assert sorted(statuses) == [200] * 5 + [409] * 5
    for left, right in pairs:
        edges = member_ids(testapp, admin.headers, left) + member_ids(testapp, admin.headers, right)
        assert len(edges) == 1


# --- Owners -----------------------------------------------------------------------


def test_add_owner_returns_owners_page(testapp, admin, factory):
    group = create_group(testapp, admin.headers, "Team").json
    user = factory.user("owner@example.com")

    response = add_owner(testapp, admin.headers, group["id"], user_url(user.user_id))

    items = response.json["items"]
    assert response.status_int == 200
    assert [item["id"] for item in items] == [user.user_id]
    assert items[0]["object_type"] == "user"
    assert items[0]["user_name"] == "owner@example.com"
    assert owner_ids(testapp, admin.headers, group["id"]) == [user.user_id]


@pytest.mark.parametrize(
    "template", ["/api/v1/groups/{id}", "https://localhost/api/v1/directoryObjects/{id}"]
)
def test_group_as_owner_gets_422(testapp, admin, template):
    group = create_group(testapp, admin.headers, "Team").json
    other = create_group(testapp, admin.headers, "Other").json

    response = add_owner(
        testapp,
        admin.headers,
        group["id"],
        {"@odata.id": template.format(id=other["id"])},
        status=422,
    )

    assert_problem(response, 422, VALIDATION_FAILED)
    assert owner_ids(testapp, admin.headers, group["id"]) == []


def test_add_owner_twice_gets_409(testapp, admin, team):
    response = add_owner(testapp, admin.headers, team.group, user_url(team.owner), status=409)

    body = assert_problem(response, 409, ALREADY_OWNER)
    assert team.owner in body["detail"]
    assert owner_ids(testapp, admin.headers, team.group) == [team.owner]


def test_add_unknown_owner_gets_404(testapp, admin, team):
    response = add_owner(testapp, admin.headers, team.group, user_url(UNKNOWN_ID), status=404)

    body = assert_problem(response, 404)
    assert UNKNOWN_ID in body["detail"]
    assert owner_ids(testapp, admin.headers, team.group) == [team.owner]


@pytest.mark.parametrize(
    "body", [{}, {"@odata.id": "not a url"}, {"@odata.id": "/api/v1/roles/x"}, {"id": "x"}]
)
def test_add_owner_rejects_malformed_reference(testapp, admin, team, body):
    response = add_owner(testapp, admin.headers, team.group, body, status=422)

    assert_problem(response, 422, VALIDATION_FAILED)
    assert owner_ids(testapp, admin.headers, team.group) == [team.owner]


def test_owners_of_unknown_group_get_404(testapp, admin, team):
    assert_problem(
        testapp.get(f"{GROUPS}/{UNKNOWN_ID}/owners", headers=admin.headers, status=404), 404
    )
    assert_problem(
        add_owner(testapp, admin.headers, UNKNOWN_ID, user_url(team.user), status=404), 404
    )


def test_remove_owner_returns_204(testapp, admin, team):
    path = f"{GROUPS}/{team.group}/owners/{team.owner}/$ref"

    testapp.delete(path, headers=admin.headers, status=204)

    assert owner_ids(testapp, admin.headers, team.group) == []
    assert_problem(testapp.delete(path, headers=admin.headers, status=404), 404)


def test_remove_non_owner_gets_404(testapp, admin, team):
    response = testapp.delete(
        f"{GROUPS}/{team.group}/owners/{team.member}/$ref", headers=admin.headers, status=404
    )

    assert_problem(response, 404)
    assert owner_ids(testapp, admin.headers, team.group) == [team.owner]


# --- Guardrails -------------------------------------------------------------------

GUARDED_GROUPS = [
    pytest.param({"source": "idp"}, "source=idp", id="idp"),
    pytest.param({"membership_mode": "dynamic"}, "membership_mode=dynamic", id="dynamic"),
]


@pytest.mark.parametrize(("fields", "reason"), GUARDED_GROUPS)
def test_guarded_group_rejects_user_member(testapp, admin, factory, fields, reason):
    group = create_group(testapp, admin.headers, "Guarded", **fields).json
    user = factory.user()

    response = add_member(testapp, admin.headers, group["id"], user_url(user.user_id), status=409)

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert reason in body["detail"]
    assert member_ids(testapp, admin.headers, group["id"]) == []


@pytest.mark.parametrize(("fields", "reason"), GUARDED_GROUPS)
def test_guarded_group_rejects_group_member(testapp, admin, fields, reason):
    group = create_group(testapp, admin.headers, "Guarded", **fields).json
    nested = create_group(testapp, admin.headers, "Nested").json

    response = add_member(testapp, admin.headers, group["id"], group_url(nested["id"]), status=409)

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert reason in body["detail"]
    assert member_ids(testapp, admin.headers, group["id"]) == []


@pytest.mark.parametrize(("fields", "reason"), GUARDED_GROUPS)
def test_guarded_group_rejects_owner(testapp, admin, factory, fields, reason):
    group = create_group(testapp, admin.headers, "Guarded", **fields).json
    user = factory.user()

    response = add_owner(testapp, admin.headers, group["id"], user_url(user.user_id), status=409)

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert reason in body["detail"]
    assert owner_ids(testapp, admin.headers, group["id"]) == []


@pytest.mark.parametrize(("fields", "reason"), GUARDED_GROUPS)
def test_guarded_group_rejects_member_of_add(testapp, admin, factory, fields, reason):
    group = create_group(testapp, admin.headers, "Guarded", **fields).json
    user = factory.user()

    response = testapp.post_json(
        f"{USERS}/{user.user_id}/memberOf/$ref",
        group_url(group["id"]),
        headers=admin.headers,
        status=409,
    )

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert reason in body["detail"]
    assert member_of_names(testapp, admin.headers, user.user_id) == []
    assert member_ids(testapp, admin.headers, group["id"]) == []


def make_guarded(testapp, admin, factory, group_id, kind):
    """Turn the local group ``group_id`` into an IdP-managed or a dynamic group."""
    if kind == "idp":
        # The API cannot change a group's source, so the test sets it in the database.
        factory.update(Group, group_id, source="idp")
    else:
        testapp.patch_json(
            f"{GROUPS}/{group_id}", {"membership_mode": "dynamic"}, headers=admin.headers
        )


@pytest.mark.parametrize("kind", ["idp", "dynamic"])
def test_guarded_group_rejects_member_removal(testapp, admin, factory, team, kind):
    make_guarded(testapp, admin, factory, team.group, kind)

    response = testapp.delete(
        f"{GROUPS}/{team.group}/members/{team.member}/$ref", headers=admin.headers, status=409
    )

    assert_problem(response, 409, GROUP_READ_ONLY)
    assert member_ids(testapp, admin.headers, team.group) == [team.member]


@pytest.mark.parametrize("kind", ["idp", "dynamic"])
def test_guarded_group_rejects_member_of_removal(testapp, admin, factory, team, kind):
    make_guarded(testapp, admin, factory, team.group, kind)

    response = testapp.delete(
        f"{USERS}/{team.member}/memberOf/{team.group}/$ref", headers=admin.headers, status=409
    )

    assert_problem(response, 409, GROUP_READ_ONLY)
    assert member_of_names(testapp, admin.headers, team.member) == ["Team"]


@pytest.mark.parametrize("kind", ["idp", "dynamic"])
def test_guarded_group_rejects_owner_removal(testapp, admin, factory, team, kind):
    make_guarded(testapp, admin, factory, team.group, kind)

    response = testapp.delete(
        f"{GROUPS}/{team.group}/owners/{team.owner}/$ref", headers=admin.headers, status=409
    )

    assert_problem(response, 409, GROUP_READ_ONLY)
    assert owner_ids(testapp, admin.headers, team.group) == [team.owner]


def test_guarded_group_still_editable(testapp, admin):
    # The guardrails cover members and owners, not the group's own fields.
    group = create_group(testapp, admin.headers, "Synced", source="idp").json

    response = testapp.patch_json(
        f"{GROUPS}/{group['id']}", {"description": "from the IdP"}, headers=admin.headers
    )

    assert response.json["description"] == "from the IdP"


def test_plugin_veto_rejects_member(plugin_testapp, admin, factory):
    group = create_group(plugin_testapp, admin.headers, "locked-vault").json
    user = factory.user()

    response = add_member(
        plugin_testapp, admin.headers, group["id"], user_url(user.user_id), status=409
    )

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert body["detail"] == SAMPLE_VETO
    assert member_ids(plugin_testapp, admin.headers, group["id"]) == []


def test_plugin_veto_rejects_owner(plugin_testapp, admin, factory):
    group = create_group(plugin_testapp, admin.headers, "locked-vault").json
    user = factory.user()

    response = add_owner(
        plugin_testapp, admin.headers, group["id"], user_url(user.user_id), status=409
    )

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert body["detail"] == SAMPLE_VETO
    assert owner_ids(plugin_testapp, admin.headers, group["id"]) == []


def test_plugin_veto_rejects_member_of_add(plugin_testapp, admin, factory):
    group = create_group(plugin_testapp, admin.headers, "locked-vault").json
    user = factory.user()

    response = plugin_testapp.post_json(
        f"{USERS}/{user.user_id}/memberOf/$ref",
        group_url(group["id"]),
        headers=admin.headers,
        status=409,
    )

    body = assert_problem(response, 409, GROUP_READ_ONLY)
    assert body["detail"] == SAMPLE_VETO


def test_plugin_veto_rejects_removal(plugin_testapp, admin, team):
    # The group gets a locked- name only after it has a member and an owner.
    plugin_testapp.patch_json(
        f"{GROUPS}/{team.group}", {"display_name": "locked-team"}, headers=admin.headers
    )

    member = plugin_testapp.delete(
        f"{GROUPS}/{team.group}/members/{team.member}/$ref", headers=admin.headers, status=409
    )
    owner = plugin_testapp.delete(
        f"{GROUPS}/{team.group}/owners/{team.owner}/$ref", headers=admin.headers, status=409
    )

    assert assert_problem(member, 409, GROUP_READ_ONLY)["detail"] == SAMPLE_VETO
    assert assert_problem(owner, 409, GROUP_READ_ONLY)["detail"] == SAMPLE_VETO
    assert member_ids(plugin_testapp, admin.headers, team.group) == [team.member]
    assert owner_ids(plugin_testapp, admin.headers, team.group) == [team.owner]


def test_plugin_allows_other_groups(plugin_testapp, admin, factory):
    group = create_group(plugin_testapp, admin.headers, "open-vault").json
    user = factory.user()

    add_member(plugin_testapp, admin.headers, group["id"], user_url(user.user_id))

    assert member_ids(plugin_testapp, admin.headers, group["id"]) == [user.user_id]


# --- memberOf ---------------------------------------------------------------------


def test_member_of_direct_and_transitive(testapp, admin, factory):
    user = factory.user()
    inner = create_group(testapp, admin.headers, "inner").json
    middle = create_group(testapp, admin.headers, "middle").json
    outer = create_group(testapp, admin.headers, "outer").json
    create_group(testapp, admin.headers, "unrelated")
    add_member(testapp, admin.headers, middle["id"], group_url(inner["id"]))
    add_member(testapp, admin.headers, outer["id"], group_url(middle["id"]))
    add_member(testapp, admin.headers, inner["id"], user_url(user.user_id))

    direct = member_of_names(testapp, admin.headers, user.user_id)
    transitive = member_of_names(testapp, admin.headers, user.user_id, transitive="true")
    explicit_direct = member_of_names(testapp, admin.headers, user.user_id, transitive="false")

    assert direct == ["inner"]
    assert transitive == ["inner", "middle", "outer"]
    assert explicit_direct == ["inner"]


def test_member_of_transitive_lists_each_group_once(testapp, admin, factory):
    user = factory.user()
    top = create_group(testapp, admin.headers, "top").json
    left = create_group(testapp, admin.headers, "left").json
    right = create_group(testapp, admin.headers, "right").json
    add_member(testapp, admin.headers, top["id"], group_url(left["id"]))
    add_member(testapp, admin.headers, top["id"], group_url(right["id"]))
    add_member(testapp, admin.headers, left["id"], user_url(user.user_id))
    add_member(testapp, admin.headers, right["id"], user_url(user.user_id))

    body = testapp.get(
        f"{USERS}/{user.user_id}/memberOf",
        {"transitive": "true", "count": "true"},
        headers=admin.headers,
    ).json

    assert [group["display_name"] for group in body["items"]] == ["left", "right", "top"]
    assert body["total"] == 3


def test_member_of_rejects_bad_transitive(testapp, admin, team):
    response = testapp.get(
        f"{USERS}/{team.member}/memberOf",
        {"transitive": "maybe"},
        headers=admin.headers,
        status=400,
    )

    assert_problem(response, 400, INVALID_QUERY_PARAMETER)
    assert response.json["errors"][0]["parameter"] == "transitive"


def test_member_of_unknown_user_gets_404(testapp, admin):
    response = testapp.get(f"{USERS}/{UNKNOWN_ID}/memberOf", headers=admin.headers, status=404)
    assert_problem(response, 404)


def test_member_of_add_and_remove(testapp, admin, team):
    added = testapp.post_json(
        f"{USERS}/{team.user}/memberOf/$ref",
        {"@odata.id": f"https://localhost{GROUPS}/{team.group}"},
        headers=admin.headers,
        status=200,
    ).json

    assert [group["id"] for group in added["items"]] == [team.group]
    assert team.user in member_ids(testapp, admin.headers, team.group)

    testapp.delete(
        f"{USERS}/{team.user}/memberOf/{team.group}/$ref", headers=admin.headers, status=204
    )

    assert team.user not in member_ids(testapp, admin.headers, team.group)


def test_member_of_add_rejects_user_reference(testapp, admin, team):
    response = testapp.post_json(
        f"{USERS}/{team.user}/memberOf/$ref",
        user_url(team.member),
        headers=admin.headers,
        status=422,
    )

    assert_problem(response, 422, VALIDATION_FAILED)
    assert member_of_names(testapp, admin.headers, team.user) == []


def test_member_of_add_twice_gets_409(testapp, admin, team):
    response = testapp.post_json(
        f"{USERS}/{team.member}/memberOf/$ref",
        group_url(team.group),
        headers=admin.headers,
        status=409,
    )

    body = assert_problem(response, 409, ALREADY_MEMBER)
    assert team.member in body["detail"]


def test_member_of_remove_non_member_gets_404(testapp, admin, team):
    response = testapp.delete(
        f"{USERS}/{team.user}/memberOf/{team.group}/$ref", headers=admin.headers, status=404
    )
    assert_problem(response, 404)


# --- Members by reference: existing member, unknown id, duplicate ---------------------


@pytest.fixture
def c11(testapp, admin, factory):
    """A local group with member u1, and users u2 and u9 who are not members."""
    group = create_group(testapp, admin.headers, "Interop").json
    u1, u2, u9 = (factory.user().user_id for _ in range(3))
    add_member(testapp, admin.headers, group["id"], user_url(u1))
    return SimpleNamespace(group=group["id"], u1=u1, u2=u2, u9=u9)


def absolute_user_url(user_id: str) -> dict[str, str]:
    return {"@odata.id": f"https://localhost{USERS}/{user_id}"}


def test_c11_existing_member_gets_409(testapp, admin, c11):
    before = snapshot(testapp, admin.headers, c11.group)

    response = add_member(testapp, admin.headers, c11.group, absolute_user_url(c11.u1), status=409)

    body = assert_problem(response, 409, ALREADY_MEMBER)
    assert body["type"] != GROUP_READ_ONLY
    assert c11.u1 in body["detail"]
    assert body["instance"] == f"{GROUPS}/{c11.group}/members/$ref"
    assert member_ids(testapp, admin.headers, c11.group) == [c11.u1]
    assert snapshot(testapp, admin.headers, c11.group) == before


def test_c11_unknown_user_gets_404(testapp, admin, c11):
    before = snapshot(testapp, admin.headers, c11.group)

    response = add_member(
        testapp, admin.headers, c11.group, absolute_user_url(UNKNOWN_ID), status=404
    )

    body = assert_problem(response, 404)
    assert UNKNOWN_ID in body["detail"]
    assert snapshot(testapp, admin.headers, c11.group) == before


def test_c11_new_member_gets_200(testapp, admin, c11):
    response = add_member(testapp, admin.headers, c11.group, absolute_user_url(c11.u2))

    listed = [item["id"] for item in response.json["items"]]
    assert response.status_int == 200
    assert listed.count(c11.u2) == 1
    assert listed.count(c11.u1) == 1
    assert sorted(member_ids(testapp, admin.headers, c11.group)) == sorted([c11.u1, c11.u2])


def test_c11_remove_non_member_gets_404(testapp, admin, c11):
    before = snapshot(testapp, admin.headers, c11.group)

    response = testapp.delete(
        f"{GROUPS}/{c11.group}/members/{c11.u9}/$ref", headers=admin.headers, status=404
    )

    assert_problem(response, 404)
    assert snapshot(testapp, admin.headers, c11.group) == before


def test_c11_members_bind_patch_gets_422(testapp, admin, c11):
    before = snapshot(testapp, admin.headers, c11.group)
    url = f"https://localhost{USERS}/{c11.u2}"

    response = testapp.patch_json(
        f"{GROUPS}/{c11.group}",
        {"members@odata.bind": [url, url]},
        headers=admin.headers,
        status=422,
    )

    assert_problem(response, 422, VALIDATION_FAILED)
    assert pointers(response) == {"#/members@odata.bind"}
    assert "members@odata.bind" in response.json["detail"]
    assert snapshot(testapp, admin.headers, c11.group) == before


def test_c11_concurrent_adds_give_one_200(wsgi_app, testapp, admin, c11):
    def add(app):
        return app.post_json(
            f"{GROUPS}/{c11.group}/members/$ref",
            absolute_user_url(c11.u2),
            headers=admin.headers,
            expect_errors=True,
        )

    statuses = run_at_once(wsgi_app, [add, add, add, add])

    assert sorted(statuses) == [200, 409, 409, 409]
    assert sorted(member_ids(testapp, admin.headers, c11.group)) == sorted([c11.u1, c11.u2])
