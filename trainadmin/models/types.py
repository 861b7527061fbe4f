"""Column types and helpers shared by every model module."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and gives them back aware, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum: a short string with a check constraint, values as stored text."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def sparse_index(table: str, column: str) -> sa.Index:
    """The index of a reference most rows leave empty, holding only the rows that have one: what a
    lookup by value or a delete of the referenced row reads, and no entry to write for the others."""
    where = sa.text(f"{column} IS NOT NULL")
    return sa.Index(f"ix_{table}_{column}", column, postgresql_where=where, sqlite_where=where)


def schema_filter(dialect_name: str):
    """Alembic `include_object`: skip what is declared for another database (e.g. PostgreSQL-only
    trigram indexes when comparing an SQLite schema)."""

    def include_object(obj, name, type_, reflected, compare_to):
        condition = getattr(obj, "_ddl_if", None)
        dialect = getattr(condition, "dialect", None)
        return dialect is None or dialect == dialect_name

    return include_object
