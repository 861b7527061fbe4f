"""Many new rows of one table at once (a partner import's batch): on PostgreSQL one COPY, elsewhere
one executemany.

psycopg sends an INSERT without RETURNING given many rows as one prepared statement per row: for a
batch of 500 imported sessions, some 9,000 of them. COPY sends the rows as one stream, in the same
transaction (and savepoint) as the rest of the flush. The values go through the columns' own bind
processors (enums, JSON, UTC times) and the columns' Python defaults fill what a row leaves out, as
an INSERT through SQLAlchemy would.
"""

from __future__ import annotations

import operator

import sqlalchemy as sa

from ..extensions import db


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    """INSERT these rows (dicts by column name, all with the same keys) into `table`."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        connection.execute(sa.insert(table), rows)
        return
    given = list(rows[0])
    defaults = [
        column
        for column in table.columns
        if column.key not in rows[0] and column.default is not None and not column.default.is_sequence
    ]
    # A callable default (a time) is called for each row, as an INSERT would; a constant one is
    # converted once for the whole COPY.
    computed = [column for column in defaults if column.default.is_callable]
    constant = [column for column in defaults if not column.default.is_callable]
    names = [*given, *(column.key for column in computed)]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    processed = [(index, process) for index, process in enumerate(processors) if process is not None]
    fixed = []
    for column in constant:
        process = column.type._cached_bind_processor(dialect)
        fixed.append(process(column.default.arg) if process is not None else column.default.arg)
    names.extend(column.key for column in constant)
    take = operator.itemgetter(*given)
    quote = dialect.identifier_preparer.quote
    copy_sql = (
        f"COPY {quote(table.name)} ({', '.join(quote(table.c[name].name) for name in names)}) FROM STDIN"
    )
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(copy_sql) as copy:
            write_row = copy.write_row
            for row in rows:
                values = list(take(row)) if len(given) > 1 else [row[given[0]]]
                if computed:
                    values.extend(column.default.arg(None) for column in computed)
                for index, process in processed:
                    values[index] = process(values[index])
                if fixed:
                    values.extend(fixed)
                write_row(values)
    finally:
        cursor.close()


def insert_rows_with_ids(table: sa.Table, rows: list[dict]) -> list[int]:
    """INSERT these rows into `table` (its primary key an `id` from a sequence) and return their ids,
    in the order of `rows`. On PostgreSQL the ids are taken first from the table's sequence in one
    query, then the rows go by COPY; elsewhere an INSERT … RETURNING of many rows."""
    if not rows:
        return []
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, rows).scalars())
    ids = (
        connection.execute(
            sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, "id"))).select_from(
                sa.func.generate_series(1, len(rows))
            )
        )
        .scalars()
        .all()  # one fetch for all the ids (iterating fetches them one by one)
    )
    insert_rows(table, [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)])
    return ids


def insert_ignoring_duplicates(model, index_elements: list[str]):
    """INSERT … ON CONFLICT DO NOTHING on the unique columns, on PostgreSQL and SQLite."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing(index_elements=index_elements)
