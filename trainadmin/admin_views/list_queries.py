"""The SQL of the big lists: a text search the planner can match to the trigram indexes, and a
count that stops at 10,000 (« plus de 10 000 ») instead of reading every row on every page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g
from flask_admin import expose
from flask_admin.contrib.sqla import tools
from flask_babel import format_number, get_locale, gettext
from sqlalchemy.orm import Query

from ..extensions import db


def count_limit() -> int:
    """Counted exactly up to here (TRAINADMIN_LIST_COUNT_LIMIT); past it the list says « plus de »."""
    return current_app.config["TRAINADMIN_LIST_COUNT_LIMIT"]


class BoundedCountQuery(Query):
    """Flask-Admin's count query (`count(*)` with the list's search and filters) whose `scalar()`
    counts at most `count_limit()` + 1 rows while a list page is drawn; exact elsewhere (exports).
    When the rows the exports leave out are given (`left_out`), the same statement counts them too
    (bounded as well): the export note needs no second one."""

    left_out = None

    def scalar(self):
        if not g.get("bounded_count"):
            return super().scalar()
        # Read on the session's connection, without the ORM's result machinery.
        row = self.session.connection().execute(self.bounded_statement()).one()
        return read_bounded_count(row, self.left_out is not None)

    def bounded_statement(self):
        """`SELECT count(*) FROM (SELECT 1 … LIMIT bound + 1)`, with the rows left out when given."""
        limit = count_limit()
        columns = [sa.literal_column("1").label("row")]
        if self.left_out is not None:
            columns.append(sa.case((self.left_out, 1), else_=0).label("left_out"))
        rows = self.with_entities(*columns).limit(limit + 1).subquery()
        if self.left_out is None:
            return sa.select(sa.func.count()).select_from(rows)
        # Past the bound the rows read do not tell how many the exports leave out: a second
        # bounded count of those, in the same statement, which PostgreSQL only runs when needed.
        left_out_rows = (
            self.filter(self.left_out).with_entities(sa.literal_column("1")).limit(limit + 1).subquery()
        )
        left_out_past_bound = sa.select(sa.func.count()).select_from(left_out_rows).scalar_subquery()
        return sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(rows.c.left_out), 0),
            sa.case((sa.func.count() > limit, left_out_past_bound)),
        ).select_from(rows)


def read_bounded_count(row, left_out: bool) -> int:
    """The count of a `bounded_statement` row; the rows left out go to `g.list_left_out`."""
    if not left_out:
        return row[0]
    total, left_out_count, left_out_many = row
    g.list_left_out = int(left_out_many if is_capped(total) else left_out_count)
    return total


def is_capped(count: int | None) -> bool:
    return count is not None and count > count_limit()


def count_text(count: int | None) -> str:
    """The count as the list shows it: exact, or « plus de 10 000 »."""
    if is_capped(count):
        return gettext("more than %(num)s", num=format_number(count_limit()))
    return str(count or 0)


class LiteralSearchMixin:
    """Flask-Admin's search, with the pattern written into the SQL. With a bound parameter the
    driver prepares the statement after a few runs and PostgreSQL then plans it once for any
    pattern: it walks the newest-first index filtering every row (4,000 rows read for « Excel »,
    the whole table for a pattern that matches nothing) instead of asking the trigram index. Each
    pattern its own statement: the planner sees it and picks the index when it is selective.

    A searched column with a lower-case copy kept by the database (`column_search_lowered`) is read
    through it: `copy LIKE lower(pattern)` is what PostgreSQL does for ILIKE on a UTF-8 database
    (lower both sides, then LIKE), without lowering again each row it checks."""

    #: Searched column name → the name of its lower-case generated column.
    column_search_lowered: dict[str, str] = {}

    def _search_condition(self, field, column, pattern):
        lowered = self.column_search_lowered.get(getattr(field, "key", None))
        if lowered is not None and column is field:
            return getattr(self.model, lowered).like(sa.func.lower(pattern))
        return sa.cast(column, sa.Unicode).ilike(pattern)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        patterns = [
            sa.literal(tools.parse_like_term(term), sa.Unicode, literal_execute=True)
            for term in search_terms(search)
        ]
        return self._apply_search_patterns(query, count_query, joins, count_joins, patterns)

    def _apply_search_patterns(self, query, count_query, joins, count_joins, patterns):
        """Each pattern (a term of the search) must match one of the searched columns."""
        for pattern in patterns:
            conditions, count_conditions = [], []
            # The lower-case copies first: a row they match needs no ILIKE on the other columns.
            fields = sorted(
                self._search_fields, key=lambda item: item[0].key not in self.column_search_lowered
            )
            for field, path in fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                conditions.append(self._search_condition(field, column, pattern))
                if count_query is not None:
                    count_query, count_joins, count_alias = self._apply_path_joins(
                        count_query, count_joins, path, inner_join=False
                    )
                    column = field if count_alias is None else getattr(count_alias, field.key)
                    count_conditions.append(self._search_condition(field, column, pattern))
            query = query.filter(sa.or_(*conditions))
            if count_query is not None:
                count_query = count_query.filter(sa.or_(*count_conditions))
        return query, count_query, joins, count_joins


def search_terms(search: str) -> list[str]:
    """The words of a search, as Flask-Admin splits them (on spaces, empty ones skipped)."""
    return [term for term in search.split(" ") if term]


class BoundedCountMixin:
    """For a SecureModelView whose list may hold 100,000 rows: the page's counts are bounded, and
    past the bound the pager always offers the next page."""

    def get_count_query(self):
        query = BoundedCountQuery([sa.func.count("*")], db.session()).select_from(self.model)
        if self.export_criteria and g.get("export_scope") is None:
            query.left_out = sa.not_(sa.and_(*self.export_criteria))
        return self._scoped(query)

    @expose("/")
    def index_view(self):
        g.bounded_count = True
        try:
            return super().index_view()
        finally:
            g.bounded_count = False

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, data = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if is_capped(count):
            size = page_size or self.page_size
            count = max(count, ((page or 0) + 2) * size)
        return count, data

    def count_text(self, count: int | None) -> str:
        if not is_capped(count):
            return count_text(count)
        return self._said(("more than",), count_text, count)

    def export_note(self) -> str | None:
        left_out = g.pop("list_left_out", None)
        if left_out is None:
            left_out = self.export_left_out() if self.can_export else 0
        if not left_out:
            return None
        return self._said(("left out", left_out if not is_capped(left_out) else None), self._note, left_out)

    def _note(self, left_out: int) -> str:
        if is_capped(left_out):
            return self.export_left_out_many_text(format_number(count_limit()))
        return self.export_left_out_text(left_out)

    def _said(self, key: tuple, make, value) -> str:
        """A text of the list that only depends on a number and the language, made once (a count,
        « plus de 10 000 », the export note): a translation and a number formatted by Babel each."""
        texts = self.__dict__.setdefault("_ta_said", {})
        key = (*key, str(get_locale()), count_limit())
        text = texts.get(key)
        if text is None:
            if len(texts) > 1000:
                texts.clear()
            text = texts[key] = make(value)
        return text

    def export_left_out_many_text(self, limit: str) -> str:
        return gettext("More than %(num)s rows left out of this export.", num=limit)
