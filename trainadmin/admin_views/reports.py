"""« Rapports »: the figures training staff answer for (hours, sessions, costs, attendance,
satisfaction, per collaborator) over a period and filters, each as a chart with its table beneath,
exportable as CSV and XLSX and printable. Every role reads them; nothing here writes."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_babel import gettext, pgettext
from flask_login import current_user

from ..clock import local_now, local_today
from ..i18n import show_date
from ..models import SessionType
from ..services import reports
from ..services.errors import ValidationFailed
from .base import SecureView
from .downloads import attachment_headers
from .labels import enum_label
from .report_cells import ReportTable
from .report_sections import EXPORTS, SECTIONS
from .spreadsheets import XLSX_MIMETYPE, Cell, csv_lines, xlsx_workbook

FILTER_FIELDS = ("training_id", "population_id", "dispositif_id", "organisation_id")
FORMATS = ("csv", "xlsx")


def filter_labels() -> dict[str, str]:
    return {
        "training_id": gettext("Training"),
        "population_id": gettext("Population"),
        "dispositif_id": gettext("Scheme"),
        "organisation_id": gettext("Training organisation"),
        "session_type": gettext("Type"),
    }


def described(
    filters: reports.ReportFilters, choices: dict[str, list[tuple[int, str]]]
) -> list[tuple[str, str]]:
    """The period and each filter chosen, as the page's header and the export's « Informations »
    sheet write them."""
    lines = [
        (
            gettext("Period"),
            pgettext(
                "report period",
                "from %(start)s to %(end)s",
                start=show_date(filters.start),
                end=show_date(filters.end),
            ),
        )
    ]
    labels = filter_labels()
    for field in FILTER_FIELDS:
        value = getattr(filters, field)
        if value is not None:
            lines.append((labels[field], dict(choices[field]).get(value, "")))
    if filters.session_type is not None:
        lines.append((labels["session_type"], enum_label(filters.session_type)))
    if len(lines) == 1:
        lines.append((gettext("Filters"), gettext("none: every session")))
    return lines


def _date_input(value: str) -> str:
    """A date field shows what was typed: as a date when it is one (the browser's picker), else as
    the text itself, which a date field would show empty."""
    if not value:
        return "date"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "text"
    return "date"


class ReportsView(SecureView):
    """Read by every role (exports included, as every list's are)."""

    def _filters(self) -> tuple[reports.ReportFilters | None, dict[str, str]]:
        try:
            return reports.parse_filters(request.args, local_today()), {}
        except ValidationFailed as exc:
            return None, exc.errors

    @expose("/")
    def index(self):
        filters, errors = self._filters()
        reports.prepare_reading()
        choices = reports.choices()
        shown = request.args.get("section", "")
        if shown not in {section.key for section in SECTIONS}:
            shown = ""  # every section
        chosen = [section for section in SECTIONS if shown in ("", section.key)]
        sections = [(section, section.tables(filters)) for section in chosen] if filters else []
        values = {key: request.args.get(key, "") for key in ("start", "end", *FILTER_FIELDS, "session_type")}
        if filters is not None:
            values.update(filters.as_args())
        if shown:
            values["section"] = shown
        page = self.render(
            "admin/reports/index.html",
            filters=filters,
            errors=errors,
            values=values,
            choices=choices,
            labels=filter_labels(),
            types=[(member.value, enum_label(member)) for member in SessionType],
            presets=reports.PRESETS,
            described=described(filters, choices) if filters else [],
            sections=sections,
            all_sections=SECTIONS,
            date_inputs={field: _date_input(values.get(field, "")) for field in ("start", "end")},
            base_args={key: value for key, value in values.items() if key != "section" and value},
            shown=shown,
            filter_fields=FILTER_FIELDS,
            page_rows=reports.PAGE_ROWS,
            generated=local_now(),
        )
        return page, (400 if errors else 200)

    @expose("/export/<key>.<fmt>")
    def export_view(self, key: str, fmt: str):
        if key not in EXPORTS or fmt not in FORMATS:
            abort(404)
        filters, errors = self._filters()
        if filters is None:
            return redirect(url_for(".index", **request.args))
        reports.prepare_reading()
        table = EXPORTS[key](filters)
        name = f"{table.title} {filters.start:%d-%m-%Y} {filters.end:%d-%m-%Y}.{fmt}"
        if fmt == "csv":
            lines = stream_with_context(csv_lines(table.headers, table.export_rows()))
            return Response(lines, mimetype="text/csv", headers=attachment_headers(name))
        body = xlsx_workbook(
            table.title,
            table.headers,
            table.export_rows(),
            gettext("Information"),
            self._information(table, filters),
        )
        return Response(body, mimetype=XLSX_MIMETYPE, headers=attachment_headers(name))

    def _information(
        self, table: ReportTable, filters: reports.ReportFilters
    ) -> list[tuple[str | None, Cell]]:
        lines: list[tuple[str | None, Cell]] = [(gettext("Report"), table.title)]
        lines.extend(described(filters, reports.choices()))
        if table.note:
            lines.append((gettext("How it is counted"), table.note))
        lines.append((gettext("Exported on"), local_now()))
        lines.append((gettext("Exported by"), str(current_user) if current_user.is_authenticated else ""))
        return lines
