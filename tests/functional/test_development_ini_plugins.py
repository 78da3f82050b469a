"""The commented plugin settings in development.ini start the app once uncommented."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from access_platform.db import session_scope
from access_platform.rbac.models import USER_ADMIN_ROLE_ID
from access_platform.rbac.services import assign_role

FIRST_PARTY = "oidc scim_extensions group_rules"


def _commented_plugin_settings(project_root: Path) -> dict[str, str]:
    """Return the settings that the first-party plugin section of development.ini shows."""
    text = (project_root / "development.ini").read_text(encoding="utf-8")
    section = text[text.index("# --- First-party plugins") : text.index("[alembic]")]

    lines = []
    for line in section.splitlines():
        if line.startswith("# access_platform.") or line.startswith("#     "):
            lines.append(line[2:])
    parser = configparser.ConfigParser(defaults={"here": str(project_root)})
    parser.read_string("[app:main]\n" + "\n".join(lines))
    return {key: value for key, value in parser["app:main"].items() if key != "here"}


def test_every_plugin_setting_shown_is_used(project_root):
    settings = _commented_plugin_settings(project_root)

    prefixes = {key.split(".")[1] for key in settings}

    assert prefixes == set(FIRST_PARTY.split())


def test_uncommented_plugin_settings_start_the_app(platform, project_root, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [{**jwk, "kid": "dev", "use": "sig"}]}))

    settings = _commented_plugin_settings(project_root)
    settings["access_platform.plugins"] = FIRST_PARTY
    settings["access_platform.oidc.jwks_file"] = str(jwks_file)
    running = platform(ini_file=project_root / "development.ini", settings=settings)
    editor = running.factory.user("editor@example.com")
    with session_scope(running.registry.db_session_factory) as dbsession:
        assign_role(dbsession, USER_ADMIN_ROLE_ID, editor.user_id)

    schemas = running.testapp.get("/scim/v2/Schemas", headers=running.scim_headers()).json
    group = running.testapp.post_json(
        "/api/v1/groups", {"display_name": "Finance-Payroll"}, headers=running.admin.headers
    ).json
    vetoed = running.testapp.post_json(
        f"/api/v1/groups/{group['id']}/members/$ref",
        {"@odata.id": f"http://localhost/api/v1/users/{editor.user_id}"},
        headers=editor.headers,
        status=409,
    )

    assert "urn:example:params:scim:schemas:extension:acme:2.0:User" in {
        schema["id"] for schema in schemas["Resources"]
    }
    assert vetoed.json["detail"] == "Finance groups are changed by the finance team only."
