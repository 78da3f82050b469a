"""Database engine, ORM base and the per-request session.

Each request gets one SQLAlchemy session joined to the request's
transaction manager (pyramid_tm), so a view never commits by itself: the
transaction commits when the view returns and aborts when it raises.
pyramid_retry re-runs a request whose transaction failed with a
serialization failure or deadlock, which zope.sqlalchemy marks as
retryable. The schema is owned by Alembic; nothing here creates tables.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyramid_retry
import transaction
import zope.sqlalchemy
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from access_platform import driver, savepoints
from access_platform.errors import ApiError

log = logging.getLogger(__name__)

# Stable constraint names, so that Alembic migrations can refer to them on
# both SQLite and PostgreSQL.
# WSGI environ key under which a $batch subrequest finds its parent request.
PARENT_REQUEST_KEY = "access_platform.parent_request"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def folded_text(length: int) -> String:
    """Return a string type for case-folded lookup columns.

    On PostgreSQL the column uses the "C" collation, so that a B-tree index
    serves prefix searches (``LIKE 'abc%'``) whatever the database's
    locale; SQLite compares bytes already.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def new_id() -> str:
    """Return a new opaque identifier (a random UUID in canonical text form)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


# Execution option that makes a SQLite transaction start with BEGIN
# IMMEDIATE, taking the write lock at once.
SQLITE_BEGIN_IMMEDIATE = "access_platform_sqlite_begin_immediate"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module would otherwise open transactions on its own, only
    # before data-changing statements: reads would run outside the
    # transaction, and a SAVEPOINT outside one would commit on release.
    # SQLAlchemy's "begin" event below issues BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # LIKE compares as PostgreSQL's does: exactly. Case-insensitive
        # lookups compare folded columns or lower() on both sides instead.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        # Savepoints keep their undo pages in a temporary journal, which
        # is faster for each $batch item in memory than in a file.
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Any) -> None:
    # A request that writes takes SQLite's single write lock when it
    # begins, waiting up to the busy timeout for it. Were it to read first
    # and ask for the lock later, a writer that committed in between would
    # make SQLite fail the request at once instead of letting it wait.
    if connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def create_db_engine(settings: dict[str, Any]) -> Engine:
    """Create the engine for ``sqlalchemy.url``.

    Error messages never include statement parameters. SQLite gets WAL mode
    (readers do not block the writer), enforced foreign keys, a busy timeout
    of five seconds, and transactions that SQLAlchemy begins itself, so that
    savepoints nest inside them. The database file's folder is created if
    missing.
    """
    url: str = settings["sqlalchemy.url"]
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        savepoints.install(engine)
        return engine

    engine = create_engine(
        url,
        pool_size=settings["sqlalchemy.pool_size"],
        pool_pre_ping=True,
        # Statement parameters would otherwise appear in error messages and
        # so in logs, password hashes among them.
        hide_parameters=True,
    )
    savepoints.install(engine)
    return engine


def describe_url(engine: Engine) -> str:
    """Return the engine URL with any password hidden, for log lines."""
    return engine.url.render_as_string(hide_password=True)


def new_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit, so a view or command can still
    # render what it just stored.
    return sessionmaker(bind=engine, expire_on_commit=False)


def bind_session(
    session_factory: sessionmaker[Session], manager: transaction.TransactionManager
) -> Session:
    """Return a new session joined to ``manager``'s transactions."""
    session = session_factory()
    zope.sqlalchemy.register(session, transaction_manager=manager)
    return session


@contextmanager
def session_scope(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session in a transaction of its own, committed when the block ends without error.

    For work outside a request: command-line tools and test set-up.
    """
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        yield bind_session(session_factory, manager)


def flush_or_conflict(dbsession: Session, column_name: str, conflict: ApiError) -> None:
    """Flush, raising ``conflict`` when that breaks the unique constraint on ``column_name``.

    The constraint is identified by its column name, which both SQLite and
    PostgreSQL put in the error message. The failed flush ends the
    transaction, which the raised error aborts anyway. A $batch item runs
    in a savepoint of its own, so the batch goes on.
    """
    try:
        dbsession.flush()
    except IntegrityError as error:
        if column_name in str(error.orig):
            raise conflict from error
        raise


_INSERT_PLANS: dict[type, tuple[Any, Any, list[tuple[str, str, Any]]]] = {}


def _insert_plan(model: type) -> tuple[Any, Any, list[tuple[str, str, Any]]]:
    """Return the mapper, INSERT statement and (attribute, column, default) list of ``model``."""
    plan = _INSERT_PLANS.get(model)
    if plan is None:
        mapper = sa_inspect(model)
        columns = []
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            default = column.default
            if default is not None and not (default.is_scalar or default.is_callable):
                default = None
            columns.append((attribute.key, column.key, default))
        plan = (mapper, mapper.local_table.insert(), columns)
        _INSERT_PLANS[model] = plan
    return plan


_DRIVER_INSERTS: dict[tuple[type, Any], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}


def _driver_insert(
    model: type, statement: Any, values: dict[str, Any], dialect: Any
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """Return the SQL of ``statement`` for ``dialect``, its parameter order, and bind processors.

    The order is ``None`` for drivers that take named parameters. The
    processors are the ones SQLAlchemy applies to each column's values,
    such as :class:`UTCDateTime`'s conversion and JSON serialization.
    """
    plan = _DRIVER_INSERTS.get((model, dialect))
    if plan is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(values))
        table = statement.table
        processors = {}
        for key in values:
            processor = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[key] = processor
        order = tuple(compiled.positiontup) if compiled.positional else None
        plan = (str(compiled), order, processors)
        _DRIVER_INSERTS[(model, dialect)] = plan
    return plan


def insert_row(dbsession: Session, row: Any, column_name: str, conflict: ApiError) -> None:
    """Insert one new ORM object with a single INSERT and make it persistent in ``dbsession``.

    A faster path than ``add()`` and ``flush()`` for hot creates: the unit of
    work's bookkeeping costs several times the INSERT itself. The INSERT
    goes straight to the driver (see :mod:`access_platform.driver`). The
    mapper's ``before_insert`` and ``after_insert`` listeners still run, and
    Python column defaults still apply, so the row is the one a flush would
    write.
    Pending changes are flushed first, to keep statement order.

    :raises ApiError: ``conflict`` when the INSERT breaks the unique
        constraint on ``column_name``, as :func:`flush_or_conflict` does.
    """
    dbsession.flush()
    mapper, statement, columns = _insert_plan(type(row))
    connection = dbsession.connection()
    # Mapper events take the instance state; listeners receive the object.
    state = sa_inspect(row)
    mapper.dispatch.before_insert(mapper, connection, state)

    # Every column's value goes into the instance's dict, so that none is
    # loaded again once the row is persistent.
    loaded = state.dict
    values = {}
    for key, column_key, default in columns:
        value = loaded.get(key)
        if value is None and default is not None:
            value = default.arg if default.is_scalar else default.arg(None)
        loaded[key] = value
        values[column_key] = value

    sql, order, processors = _driver_insert(type(row), statement, values, connection.dialect)
    parameters = {
        key: processors[key](value) if key in processors else value for key, value in values.items()
    }
    try:
        driver.execute(connection, sql, [parameters[key] for key in order] if order else parameters)
    except IntegrityError as error:
        if column_name in str(error.orig):
            raise conflict from error
        raise

    # The transaction manager commits only sessions marked as changed, and
    # an INSERT outside the unit of work does not mark the session.
    zope.sqlalchemy.mark_changed(dbsession)
    make_transient_to_detached(row)
    dbsession.add(row)
    mapper.dispatch.after_insert(mapper, connection, state)


def lock_for_update(dbsession: Session, row: Any) -> None:
    """Lock ``row`` until the transaction ends, and reload it.

    Concurrent writers of one row then take turns instead of failing on
    the version check, and an ``If-Match`` compared after the lock sees the
    version that the write will replace. PostgreSQL locks the row; SQLite
    has one write lock per database, which a no-op update takes.
    """
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.refresh(row, with_for_update=True)
        return
    table = row.__table__
    dbsession.execute(table.update().where(table.c.id == row.id).values(version=table.c.version))
    dbsession.refresh(row)


def includeme(config: Any) -> None:
    """Set up the engine, pyramid_tm, pyramid_retry and ``request.dbsession``."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # pyramid_tm would otherwise authenticate every request before the
    # exception views are in place, so a database outage there would
    # escape as a bare 500 instead of the 503 the error views give.
    settings["tm.annotate_user"] = False
    settings.setdefault("retry.attempts", "3")

    config.include("pyramid_tm")
    config.include("pyramid_retry")
    # A versioned row changed by a concurrent request between this
    # request's read and its write: running the request again reads the
    # new version, so a write without If-Match wins and one with a stale
    # If-Match gets its 412.
    pyramid_retry.mark_error_retryable(StaleDataError)

    engine = create_db_engine(settings)
    session_factory = new_session_factory(engine)
    config.registry.db_engine = engine
    config.registry.db_session_factory = session_factory

    def dbsession(request: Any) -> Session:
        # A $batch subrequest works in its parent's session, inside a
        # savepoint that the batch opens for it.
        parent = request.environ.get(PARENT_REQUEST_KEY)
        if parent is not None:
            return parent.dbsession
        session = bind_session(session_factory, request.tm)
        if request.method in UNSAFE_METHODS and engine.dialect.name == "sqlite":
            session.bind = engine.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
        return session

    config.add_request_method(dbsession, reify=True)
    log.info("database: %s", describe_url(engine))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no timezone-aware type and returns naive values; this type
    stores naive UTC there and restores the UTC offset on load, so that
    both databases hand the application the same values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Base, "before_insert", propagate=True)
def _stamp_creation(_mapper: Any, _connection: Any, row: Any) -> None:
    # One clock reading for both timestamps, so a new row's updated_at
    # equals its created_at.
    if hasattr(row, "created_at") and row.created_at is None:
        row.created_at = utcnow()
    if hasattr(row, "updated_at") and row.updated_at is None:
        row.updated_at = row.created_at
