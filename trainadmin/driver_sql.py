"""Statements compiled once and run on the request's own connection through the driver's cursor.

SQLAlchemy runs a statement with about 0.3–0.6 ms of Python beyond the database: its cache key, the
lookup of the compiled form, an execution context, the result's metadata and rows. On the pages
opened most (the session list: three small statements) that is a large part of the request. A
statement compiled once here (`Prepared`) keeps SQLAlchemy's own SQL text, its fixed parameters
already converted for the driver, and the converters of its result columns; `run` executes it on
the session's connection (the same transaction, pool checkout and end-of-request rollback as any
other statement of the request), tells the engine's listeners as SQLAlchemy does (statement
counters and recorders see it), and turns a driver error into SQLAlchemy's the same way (a dropped
connection invalidates the pool, errors.py answers it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from .extensions import db


class Prepared:
    """One statement compiled for a dialect. `params`: names of bound parameters given at each run
    (a number each: LIMIT, OFFSET, an id); `literals`: names of `literal_execute` parameters whose
    value is written into the SQL text at each run, quoted as SQLAlchemy quotes it (a search pattern
    the planner must see)."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        params: Iterable[str] = (),
        literals: Iterable[str] = (),
    ) -> None:
        params, literals = tuple(params), tuple(literals)
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        #: The names of the parameters in their order, for a driver that takes them by position.
        self.order = (
            tuple(name for name in compiled.positiontup if name not in literals)
            if compiled.positional
            else None
        )
        values = compiled.construct_params(params=dict.fromkeys(params + literals, 0))
        self.fixed = {}
        for name, value in values.items():
            if name in params or name in literals:
                continue
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            self.fixed[name] = process(value) if process else value
        for name in params:
            if compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"{name}: only parameters the driver takes as they are")
        self.literals = {
            name: (
                f"__[POSTCOMPILE_{name}]",
                compiled.binds[name].type.dialect_impl(dialect).literal_processor(dialect),
            )
            for name in literals
        }
        selected = getattr(statement, "selected_columns", ())
        self.fields = tuple(column.key for column in selected)
        self.types = tuple(column.type.dialect_impl(dialect) for column in selected)
        self.dialect = dialect
        #: (index, function) of the result columns the driver's values need converting; made at the
        #: first run, from the types the driver reports (`cursor.description`), as SQLAlchemy does.
        self.converters: tuple | None = None

    def result_converters(self, description) -> tuple:
        return tuple(
            (index, process)
            for index, (kind, column) in enumerate(zip(self.types, description, strict=True))
            if (process := kind.result_processor(self.dialect, column[1])) is not None
        )

    def text(self, literals: Mapping[str, object] | None) -> str:
        sql = self.sql
        for name, value in (literals or {}).items():
            token, render = self.literals[name]
            sql = sql.replace(token, render(value))
        return sql


def run(
    connection: Connection,
    prepared: Prepared,
    params: Mapping[str, object] | None = None,
    literals: Mapping[str, object] | None = None,
) -> list[tuple]:
    """The rows of `prepared` (tuples, columns converted as SQLAlchemy converts them) run on
    `connection`, a session's connection: `db.session.connection()`."""
    statement = prepared.text(literals)
    parameters = {**prepared.fixed, **params} if params else prepared.fixed
    if prepared.order is not None:
        parameters = tuple(parameters[name] for name in prepared.order)
    events = connection._has_events or connection.engine._has_events
    cursor = connection.connection.cursor()
    try:
        if events:
            for listener in connection.dispatch.before_cursor_execute:
                statement, parameters = listener(connection, cursor, statement, parameters, None, False)
        cursor.execute(statement, parameters)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, statement, parameters, None, False)
        rows = cursor.fetchall()
        if prepared.converters is None:
            prepared.converters = prepared.result_converters(cursor.description)
    except Exception as exc:  # noqa: BLE001 (raised again as SQLAlchemy's error, the pool told)
        connection._handle_dbapi_exception(exc, statement, parameters, cursor, None)
    finally:
        cursor.close()
    if not prepared.converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, convert in prepared.converters:
            row[index] = convert(row[index])
        converted.append(tuple(row))
    return converted


# --- The pool's ping -----------------------------------------------------------------------------

#: Set while a connection is checked out for a statement that does the ping's work itself.
_FIRST_STATEMENT_PINGS: ContextVar[bool] = ContextVar("first_statement_pings", default=False)


def ping_on_checkout(engine: Engine) -> None:
    """The pool's pre-ping (`pool_pre_ping`), done by a checkout listener instead of the pool: the
    same `SELECT 1` on each checkout, a dead connection answered the same way (InvalidatePoolError:
    the pool connects again and drops every connection made before), except for the checkout of
    `run_first`, whose statement is the ping: one round trip fewer per request."""
    if not engine.pool._pre_ping:
        return
    dialect = engine.dialect

    def ping(dbapi_connection, record, proxy) -> None:
        if not _FIRST_STATEMENT_PINGS.get() and not dialect._do_ping_w_event(dbapi_connection):
            raise sa.exc.InvalidatePoolError()

    engine.pool._pre_ping = False
    sa.event.listen(engine, "checkout", ping)


@contextmanager
def _first_statement_pings() -> Iterator[None]:
    token = _FIRST_STATEMENT_PINGS.set(True)
    try:
        yield
    finally:
        _FIRST_STATEMENT_PINGS.reset(token)


def run_first(
    session: Session,
    prepared: Prepared,
    params: Mapping[str, object] | None = None,
    bind_arguments: dict | None = None,
) -> list[tuple]:
    """`run` as the first statement of the session's transaction, on a connection checked out
    without the pool's ping: this statement is the ping. When the connection died in the pool
    (PostgreSQL restarted, a firewall cut it), SQLAlchemy drops it and the connections made before
    it, the transaction is ended and the statement runs again on a new connection, as the ping
    would have done. A session already in a transaction runs it as `run` does."""
    if session.in_transaction():
        return run(session.connection(bind_arguments=bind_arguments), prepared, params)
    with _first_statement_pings():
        connection = session.connection(bind_arguments=bind_arguments)
    try:
        return run(connection, prepared, params)
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    session.rollback()
    return run(session.connection(bind_arguments=bind_arguments), prepared, params)


# --- PostgreSQL's JIT ----------------------------------------------------------------------------


def without_jit() -> None:
    """`SET LOCAL jit = off` in the request's transaction, on PostgreSQL only (elsewhere nothing).

    A statement reading thousands of rows (the calendar's month, its room and trainer tables) has an
    estimated cost above `jit_above_cost`, and PostgreSQL then compiles it for longer than it runs
    (250 ms compiling a statement that takes 190 ms). The setting lasts until the transaction ends:
    the connection goes back to the pool as it came."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))
