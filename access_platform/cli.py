"""The ``access-platform`` command: migrate, create the first administrator, list plugins.

Every subcommand takes the ini file that ``pserve`` uses, so that the
command and the server see the same database and settings. Commands that
change data record audit events with the actor type ``cli``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import transaction
from pyramid.exceptions import ConfigurationError
from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import access_platform.models  # noqa: F401  (every table must be mapped before the first flush)
from access_platform.audit.recorder import record_without_request
from access_platform.auth.passwords import hash_password
from access_platform.auth.services import issue_api_key
from access_platform.db import (
    bind_session,
    create_db_engine,
    describe_url,
    new_session_factory,
    utcnow,
)
from access_platform.migrate import database_heads, script_heads, upgrade_to_head
from access_platform.plugins import create_plugin_manager, describe_installed, enabled_plugin_names
from access_platform.rbac.models import TENANT_ADMIN_ROLE_ID, RoleAssignment
from access_platform.rbac.services import assign_role
from access_platform.settings import SettingsError, parse_settings
from access_platform.users.models import User
from access_platform.users.services import create_user, find_by_user_name

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A failure the command reports in one line and exits with status 1."""


def load_settings(ini_path: str) -> dict:
    setup_logging(ini_path)
    try:
        return parse_settings(get_appsettings(ini_path, name="main"))
    except FileNotFoundError as error:
        raise CommandError(f"ini file not found: {ini_path}") from error


@dataclass(frozen=True)
class CommandSession:
    """A command's database session, with the means to record what it creates."""

    dbsession: Session
    manager: transaction.TransactionManager
    plugin_manager: Any
    settings: dict

    def record_created(self, action: str, target_type: str, row: Any) -> None:
        """Record an audit event for ``row``, delivered to plugins once the command commits."""
        record_without_request(
            self.dbsession,
            self.manager,
            self.plugin_manager,
            self.settings,
            action,
            target_type,
            row,
        )


@contextmanager
def database_session(settings: dict) -> Iterator[CommandSession]:
    """Yield the command's session, in one transaction committed if the block raises nothing."""
    # The enabled plugins receive the audit events of the command.
    plugin_manager = create_plugin_manager(settings["access_platform.plugins"])
    engine = create_db_engine(settings)
    try:
        with engine.connect() as connection:
            if database_heads(connection) != script_heads():
                raise CommandError(
                    f"the database {describe_url(engine)} is not migrated to the latest schema; "
                    "run `access-platform migrate` with the same ini file first"
                )
        manager = transaction.TransactionManager(explicit=True)
        with manager:
            dbsession = bind_session(new_session_factory(engine), manager)
            yield CommandSession(dbsession, manager, plugin_manager, settings)
    finally:
        engine.dispose()


def command_migrate(arguments: argparse.Namespace) -> None:
    settings = load_settings(arguments.ini)
    upgrade_to_head(settings["sqlalchemy.url"])
    print(f"Database is at the latest schema revision: {', '.join(sorted(script_heads()))}")


def _administrators(dbsession: Session) -> list[User]:
    statement = (
        select(User)
        .join(RoleAssignment, RoleAssignment.principal_id == User.id)
        .where(
            RoleAssignment.principal_type == "user", RoleAssignment.role_id == TENANT_ADMIN_ROLE_ID
        )
        .order_by(User.created_at)
    )
    return list(dbsession.scalars(statement))


def command_create_admin(arguments: argparse.Namespace) -> None:
    settings = load_settings(arguments.ini)
    password = _read_password() if arguments.password_stdin else None
    lifetime = timedelta(days=settings["access_platform.api_key.default_lifetime_days"])

    with database_session(settings) as command:
        dbsession = command.dbsession
        administrators = _administrators(dbsession)
        if administrators:
            names = ", ".join(user.user_name for user in administrators)
            message = (
                f"an administrator already exists ({names}); its API key was shown when it was "
                "created. Run `access-platform create-api-key` for a new key."
            )
            if arguments.if_missing:
                print(message[0].upper() + message[1:])
                return
            raise CommandError(message)

        if find_by_user_name(dbsession, arguments.user_name) is not None:
            raise CommandError(f"a user named {arguments.user_name!r} already exists")

        user = create_user(
            dbsession,
            {"user_name": arguments.user_name, "display_name": arguments.user_name},
        )
        if password:
            user.password_hash = hash_password(password)
        assignment = assign_role(dbsession, TENANT_ADMIN_ROLE_ID, user.id)
        issued = issue_api_key(dbsession, user, "created by create-admin", utcnow() + lifetime)
        command.record_created("user.create", "user", user)
        command.record_created("role_assignment.create", "role_assignment", assignment)
        command.record_created("api_key.create", "api_key", issued.api_key)

    print(
        f"Created administrator {user.user_name} (id {user.id}) with the Tenant administrator role."
    )
    print(
        f"API key {issued.api_key.id}, valid until {issued.api_key.expires_at:%Y-%m-%d}. "
        "It is shown only now; store it:"
    )
    print(issued.secret)


def command_create_api_key(arguments: argparse.Namespace) -> None:
    settings = load_settings(arguments.ini)
    lifetime = timedelta(days=settings["access_platform.api_key.default_lifetime_days"])

    with database_session(settings) as command:
        dbsession = command.dbsession
        user = find_by_user_name(dbsession, arguments.user_name)
        if user is None:
            raise CommandError(f"no user named {arguments.user_name!r}")
        if not user.is_active:
            raise CommandError(
                f"user {arguments.user_name!r} is {user.status}; keys of inactive users do not work"
            )
        issued = issue_api_key(dbsession, user, arguments.name, utcnow() + lifetime)
        command.record_created("api_key.create", "api_key", issued.api_key)

    print(
        f"API key {issued.api_key.id} for {user.user_name}, valid until "
        f"{issued.api_key.expires_at:%Y-%m-%d}. It is shown only now; store it:"
    )
    print(issued.secret)


def command_plugins(arguments: argparse.Namespace) -> None:
    settings = load_settings(arguments.ini)
    print("Installed plugins (entry point group access_platform.plugins):")
    installed = describe_installed()
    for plugin in installed:
        print(
            f"  {plugin.name:24} {plugin.value}  [{plugin.distribution or 'unknown distribution'}]"
        )
    if not installed:
        print("  (none)")

    manager = create_plugin_manager(settings["access_platform.plugins"])
    print("Enabled plugins:")
    for name in enabled_plugin_names(manager):
        print(f"  {name}")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise CommandError("the password read from standard input must be at least 8 characters")
    return password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="access-platform", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)

    migrate = subcommands.add_parser("migrate", help="Migrate the database to the latest schema.")
    migrate.add_argument("ini", help="ini file, such as development.ini")
    migrate.set_defaults(handler=command_migrate)

    create_admin = subcommands.add_parser(
        "create-admin",
        help="Create the first administrator and print its API key as the last output line.",
    )
    create_admin.add_argument("ini", help="ini file, such as development.ini")
    create_admin.add_argument("--user-name", required=True, help="user name of the administrator")
    create_admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a login password (at least 8 characters) from the first line of standard input",
    )
    create_admin.add_argument(
        "--if-missing",
        action="store_true",
        help="exit successfully, creating nothing, when an administrator already exists",
    )
    create_admin.set_defaults(handler=command_create_admin)

    create_key = subcommands.add_parser(
        "create-api-key", help="Issue a new API key for an existing user and print it."
    )
    create_key.add_argument("ini", help="ini file, such as development.ini")
    create_key.add_argument("--user-name", required=True, help="user who will own the key")
    create_key.add_argument("--name", default="created by create-api-key", help="label for the key")
    create_key.set_defaults(handler=command_create_api_key)

    plugins = subcommands.add_parser("plugins", help="List installed and enabled plugins.")
    plugins.add_argument("ini", help="ini file, such as development.ini")
    plugins.set_defaults(handler=command_plugins)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except (CommandError, SettingsError, ConfigurationError) as error:
        print(f"access-platform {arguments.command}: error: {error}", file=sys.stderr)
        return 1
    except DBAPIError as error:
        print(
            f"access-platform {arguments.command}: error: the database failed: {error.orig!r}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
