"""The cells of « Rapports »: a table as typed cells (what the page shows under each chart and what
the CSV and XLSX exports write), and the French ways of writing its numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import format_date, get_locale

from ..i18n import show_date
from .charts import Chart
from .spreadsheets import Cell


@dataclass
class ReportTable:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    #: How the figures are counted: one line under the chart.
    note: str = ""
    total: list[Cell] | None = None
    charts: list[Chart] = field(default_factory=list)
    #: Cells shown as amounts in euros, or percentages (column indexes).
    money: frozenset[int] = frozenset()
    percent: frozenset[int] = frozenset()
    #: Rows whose value is an amount or a percentage (a table of measures, one per row).
    row_kinds: dict[int, str] = field(default_factory=dict)

    def export_rows(self) -> list[list[Cell]]:
        return self.rows + ([self.total] if self.total is not None else [])

    def shown(self, row: int | None, column: int, value: Cell) -> str:
        """The cell as the page writes it (row None: the total)."""
        kind = self.row_kinds.get(row) if row is not None and column > 0 else None
        if value is None:
            return "—"
        if isinstance(value, str):
            return value
        if isinstance(value, date):
            return show_date(value)
        if kind == "money" or column in self.money:
            return euros(value)
        if kind == "percent" or column in self.percent:
            return per_cent(value)
        return number(value)


def number(value) -> str:
    """1234.5 → « 1 234,5 » in French (narrow no-break space), « 1,234.5 » in English."""
    if value is None:
        return "—"
    text = format(Decimal(str(value)).normalize(), ",f")
    if "." in text:
        whole, decimals = text.split(".")
        text = f"{whole}.{decimals}"
    if str(get_locale()) == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def euros(value) -> str:
    if value is None:
        return "—"
    text = format(Decimal(value).quantize(Decimal("0.01")), ",f")
    if str(get_locale()) == "fr":
        return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
    return "€" + text


def per_cent(value) -> str:
    if value is None:
        return "—"
    sign = "\u00a0%" if str(get_locale()) == "fr" else "%"
    return number(value) + sign


def month_name(year: int, month: int) -> str:
    return format_date(date(year, month, 1), "MMM yy")
