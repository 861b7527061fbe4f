"""The exports of every list (CSV and XLSX, files built by `spreadsheets.py`): typed cells from
Flask-Admin's export columns, rows that may not leave the back office left out in SQL and said so,
and an « Informations » sheet that tells what the file is."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, g, stream_with_context
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.utils import secure_filename

from ..clock import local_now, local_zone
from .spreadsheets import XLSX_MIMETYPE, Cell, csv_lines, xlsx_workbook

KEPT, LEFT_OUT = "kept", "left_out"


class ExportTable(NamedTuple):
    titles: list[str]
    rows: list[list[Cell]]
    total: int  # rows that match, before EXPORT_MAX_ROWS


@contextmanager
def _export_scope(scope: str) -> Iterator[None]:
    g.export_scope = scope
    try:
        yield
    finally:
        g.pop("export_scope", None)


def typed_cell(value) -> Cell | None:
    """A number, a date or a date-time as a spreadsheet stores it (stored UTC times become local
    wall-clock times, without zone); None for what is shown as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # stored times are UTC
        return value.astimezone(local_zone()).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return None


class ExportsMixin:
    """For SecureModelView: replaces Flask-Admin's CSV and tablib exports."""

    #: SQL conditions every exported row meets; the rows of the list that fail them are left out
    #: of the exports, and the list page and the « Informations » sheet say how many.
    export_criteria: tuple = ()

    def export_left_out_text(self, count: int) -> str:
        return ngettext(
            "%(num)s row left out of this export.", "%(num)s rows left out of this export.", count
        )

    # --- Which rows -----------------------------------------------------------------------------

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        return self._scoped(super().get_count_query())

    def _scoped(self, query):
        scope = g.get("export_scope")
        if scope is None or not self.export_criteria:
            return query
        kept = sa.and_(*self.export_criteria)
        return query.filter(kept if scope == KEPT else sa.not_(kept))

    def _get_list_extra_args(self):
        """Read once per request: the list page and its export note share them (and their
        « invalid filter » messages)."""
        cache = g.setdefault("list_args", {})
        if self.endpoint not in cache:
            args = super()._get_list_extra_args()
            args.page = max(args.page or 0, 0)  # a negative page is the first (no negative OFFSET)
            # A NUL cannot be in a database text: searched or filtered for, it is no character at all.
            args.search = args.search.replace("\x00", "") or None if args.search else args.search
            args.filters = [
                (index, name, value.replace("\x00", "") if isinstance(value, str) else value)
                for index, name, value in args.filters or []
            ]
            cache[self.endpoint] = args
        return cache[self.endpoint]

    def export_left_out(self) -> int:
        """How many rows of the list, as searched and filtered now, the exports leave out."""
        if not self.export_criteria:
            return 0
        args = self._get_list_extra_args()
        with _export_scope(LEFT_OUT):
            count, _query = self.get_list(0, None, False, args.search, args.filters, execute=False)
        return count or 0

    def export_note(self) -> str | None:
        """Said next to « Exporter » on the list page, before the download."""
        left_out = self.export_left_out() if self.can_export else 0
        return self.export_left_out_text(left_out) if left_out else None

    # --- What each cell holds -------------------------------------------------------------------

    def export_cell(self, model, name: str) -> Cell:
        """Numbers, dates and date-times keep their type; everything else is the text of the
        export formatters (`column_formatters_export`, then `column_type_formatters_export`:
        labels of enums, « Oui »/« Non », lists), never HTML."""
        formatter = self.column_formatters_export.get(name)
        value = formatter(self, None, model, name) if formatter else self._get_field_value(model, name)
        choices = self._column_choices_map.get(name)
        if choices:
            value = choices.get(value) or value
        typed = typed_cell(value)
        if typed is not None:
            return typed
        for kind, type_formatter in self.column_type_formatters_export.items():
            if isinstance(value, kind):
                value = type_formatter(self, value, name)
                break
        if isinstance(value, Markup):
            return value.striptags()
        return "" if value is None else str(value)

    def export_table(self) -> ExportTable:
        """The export columns and rows (at most EXPORT_MAX_ROWS, relations loaded by the list's
        loader options: a fixed number of queries)."""
        with _export_scope(KEPT):
            total, models = self._export_data()
        names = [name for name, _title in self._export_columns]
        rows = [[self.export_cell(model, name) for name in names] for model in models]
        return ExportTable([str(title) for _name, title in self._export_columns], rows, total or 0)

    def export_information(self, table: ExportTable) -> list[tuple[str | None, Cell]]:
        """The « Informations » sheet: what the file is, when it was made, by whom, its search,
        filters and limit, and what it leaves out."""
        args = self._get_list_extra_args()
        lines: list[tuple[str | None, Cell]] = [
            (gettext("Exported list"), str(self.name)),
            (gettext("Exported on"), local_now()),
            (gettext("Exported by"), str(current_user) if current_user.is_authenticated else ""),
            (gettext("Rows exported"), len(table.rows)),
        ]
        if table.total > len(table.rows):
            lines.append(
                (
                    gettext("Limit"),
                    ngettext(
                        "Only the first row of %(total)s is exported.",
                        "Only the first %(num)s rows of %(total)s are exported.",
                        len(table.rows),
                        total=table.total,
                    ),
                )
            )
        if args.search:
            lines.append((gettext("Search text"), args.search))
        for index, text in enumerate(self._filter_texts(args.filters or ())):
            lines.append((gettext("Filters") if index == 0 else None, text))
        left_out = self.export_left_out()
        if left_out:
            lines.append((gettext("Left out"), self.export_left_out_text(left_out)))
        return lines

    def _filter_texts(self, filters: Sequence) -> Iterator[str]:
        for index, _name, value in filters:
            flt = self._filters[index]
            options = dict(flt.get_options(self) or ())
            yield f"{flt.name} {flt.operation()} {options.get(value, value)}"

    # --- The files ------------------------------------------------------------------------------

    def get_export_name(self, export_type: str = "csv") -> str:
        return secure_filename(f"{self.name}_{local_now():%Y-%m-%d_%H-%M}.{export_type}")

    def _download(self, body, mimetype: str, export_type: str) -> Response:
        disposition = f"attachment;filename={self.get_export_name(export_type)}"
        return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})

    def _export_csv(self, return_url):
        table = self.export_table()
        lines = stream_with_context(csv_lines(table.titles, table.rows))
        return self._download(lines, "text/csv", "csv")

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            return super()._export_tablib(export_type, return_url)
        table = self.export_table()
        body = xlsx_workbook(
            str(self.name), table.titles, table.rows, gettext("Information"), self.export_information(table)
        )
        return self._download(body, XLSX_MIMETYPE, "xlsx")
