"""Statements sent straight to the database driver, past SQLAlchemy's execution path.

For the few hot statements whose SQL never changes: savepoints, and the
INSERT of a new row. SQLAlchemy's execution path (statement caching,
execution context, result set-up, events) cost more than these statements
themselves in profiles of user creates. What stays the same:

- errors come out as the SQLAlchemy exception that the statement would
  have raised (``IntegrityError``, ``OperationalError`` and so on), with
  parameters hidden, and a lost connection is invalidated first;
- the statement runs on the connection and in the transaction of the
  SQLAlchemy ``Connection`` given.

What is lost: engine events such as ``before_cursor_execute``, and
SQLAlchemy's statement log (``sqlalchemy.engine`` at INFO), do not see
these statements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def execute(connection: Connection, statement: str, parameters: Any = None) -> None:
    """Send ``statement`` with ``parameters``, in the driver's parameter style, on ``connection``.

    :raises DBAPIError: the subclass that SQLAlchemy would raise.
    """
    dialect = connection.dialect
    driver_connection = connection.connection
    cursor = driver_connection.cursor()
    try:
        if parameters is None:
            cursor.execute(statement)
        else:
            cursor.execute(statement, parameters)
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, driver_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            statement,
            parameters,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error
    finally:
        cursor.close()
