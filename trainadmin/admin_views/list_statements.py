"""The session list's count and rows statements, compiled once per shape of request and run with
the values of each request.

Flask-Admin builds both statements for every page (`get_list`: the view's scoped queries, the
search, the order, the page), then SQLAlchemy looks up their compiled form and runs them: about
1.5 ms of Python on a first page of 100,000 sessions, a little less than PostgreSQL takes. Between
two pages of the same shape — the same order, the same number of search words, a first page or a
later one — only values change: the words, the page size, the offset. Here the statements of a
shape are built once by the view's own steps (`get_query` and `get_count_query` with their scope,
`_apply_search_patterns`, `_apply_sorting`) with those values as parameters, compiled once
(`driver_sql.Prepared`), and run on the request's connection with each request's values. The
search words are still written into the SQL text, quoted by SQLAlchemy: the planner must see them
(see `LiteralSearchMixin`). A list with filters is built by Flask-Admin each time (their values
take many forms: enums, dates, lists).

The shapes are kept per `list_scope_key()` of the view: its role, its export scope and its
scoping methods as they are. A scope that reads more of the request (the user, the day) must add
it to that key."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g
from flask_admin.contrib.sqla import tools
from flask_admin.contrib.sqla.view import ModelView

from ..driver_sql import Prepared, run
from ..extensions import db
from .list_queries import BoundedCountMixin, count_limit, is_capped, read_bounded_count, search_terms

#: Past this many shapes the kept ones are dropped (each is a few KiB of SQL text).
MAX_SHAPES = 256


@dataclass(frozen=True)
class Shape:
    count: Prepared
    rows: Prepared
    left_out: bool
    search: tuple[str, ...]


class ListStatements:
    """The compiled statements of one list view, by shape of request."""

    def __init__(self) -> None:
        self.shapes: dict[tuple, Shape] = {}

    @staticmethod
    def supports(view, args) -> bool:
        """Without filters, with Flask-Admin's own way to page and the bounded count's `get_list`."""
        kind = type(view)
        return (
            not args.filters
            and not view._auto_joins
            and not view.simple_list_pager
            and kind.get_list is BoundedCountMixin.get_list
            and kind._apply_pagination is ModelView._apply_pagination
        )

    def read(self, view, args, sort_column, page_size: int) -> tuple[int, list[tuple], tuple[str, ...]]:
        """(count, rows, names of the rows' fields) of the page `args` asks for."""
        terms = search_terms(args.search) if args.search and view._search_supported else []
        page = args.page or 0
        connection = db.session.connection()
        key = (
            view.list_scope_key(),
            connection.dialect.name,
            count_limit(),
            args.sort,
            bool(args.sort_desc),
            len(terms),
            bool(page and page_size),
            bool(page_size),
        )
        shape = self.shapes.get(key)
        if shape is None:
            if len(self.shapes) >= MAX_SHAPES:
                self.shapes.clear()
            shape = self.shapes[key] = build_shape(
                view, connection.dialect, sort_column, args.sort_desc, len(terms), key[-2], key[-1]
            )
        literals = {name: tools.parse_like_term(term) for name, term in zip(shape.search, terms, strict=True)}
        count = read_bounded_count(run(connection, shape.count, literals=literals)[0], shape.left_out)
        if is_capped(count):
            count = max(count, (page + 2) * page_size)
        params = {}
        if page_size:
            params["page_limit"] = page_size
            if page:
                params["page_offset"] = page * page_size
        rows = run(connection, shape.rows, params, literals)
        return count, rows, shape.rows.fields


def build_shape(view, dialect, sort_column, sort_desc, terms: int, paged: bool, limited: bool) -> Shape:
    """The view's list statements as `get_list` builds them, with parameters for what changes."""
    g.list_page_rows = True
    try:
        query = view.get_query()
        count_query = view.get_count_query()
    finally:
        g.list_page_rows = False
    joins, count_joins = {}, {}
    patterns = [
        sa.bindparam(f"search_{index}", type_=sa.Unicode, literal_execute=True) for index in range(terms)
    ]
    if patterns:
        query, count_query, joins, count_joins = view._apply_search_patterns(
            query, count_query, joins, count_joins, patterns
        )
    query, joins = view._apply_sorting(query, joins, sort_column, sort_desc)
    params = []
    if limited:
        query = query.limit(sa.bindparam("page_limit", type_=sa.Integer))
        params.append("page_limit")
    if paged:
        query = query.offset(sa.bindparam("page_offset", type_=sa.Integer))
        params.append("page_offset")
    search = tuple(pattern.key for pattern in patterns)
    return Shape(
        count=Prepared(count_query.bounded_statement(), dialect, literals=search),
        rows=Prepared(query.statement, dialect, params=params, literals=search),
        left_out=count_query.left_out is not None,
        search=search,
    )
