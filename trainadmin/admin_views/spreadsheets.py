"""CSV and XLSX files as French Excel and LibreOffice open them by double-click, from typed cells
(text, int, Decimal, float, date, naive local datetime), and never a cell that runs as a formula.

- CSV: UTF-8 with a BOM (else Excel reads it as ANSI), `;` between fields (the French list
  separator), decimal commas without thousands separator, dd/mm/yyyy dates; a text starting a
  formula gets OWASP's apostrophe, which the spreadsheet then shows.
- XLSX: numbers and dates are real numbers and dates with a French format; text is written as a
  string cell, with the « quote prefix » style when it starts like a formula, so it shows as typed
  and stays text even when the cell is edited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace

Cell = str | int | float | Decimal | date | datetime | None

#: A cell starting with one of these runs as a formula in a spreadsheet (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_SEPARATOR = ";"
BOM = "\ufeff"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MIN_WIDTH, MAX_WIDTH = 8, 60
MAX_CELL_TEXT = 32_767  # Excel refuses a longer cell
MAX_SHEET_TITLE = 31
# A separator inside a value, then (after spaces) a formula start: what a spreadsheet that splits
# the value at its separators would turn into a formula cell.
_FORMULA_AFTER_SEPARATOR = re.compile(r"(;[ ]*)(?=[=+\-@\t\r])")
_NOT_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
# The control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_NOT_IN_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@cache
def _openpyxl() -> SimpleNamespace:
    """openpyxl, imported when a workbook is first made: most web processes never make one, and
    it weighs 7 MiB in each."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter

    return SimpleNamespace(
        Workbook=Workbook,
        WriteOnlyCell=WriteOnlyCell,
        bold=Font(bold=True),
        get_column_letter=get_column_letter,
        AutoFilter=AutoFilter,
    )


def starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


# --- CSV -----------------------------------------------------------------------------------------


def csv_text(text: str) -> str:
    """OWASP's apostrophe before a formula start, at the start of the value and after each `;`
    inside it: the csv module quotes such a value, and a spreadsheet that splits it anyway still
    gets text."""
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
    return "'" + text if starts_formula(text) else text


def csv_number(value: int | float | Decimal) -> str:
    """1234.5 → « 1234,5 »: a decimal comma, no thousands separator, no useless zeros."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",")


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return csv_number(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return csv_text(str(value))


class _Line:
    """Lets csv.writer hand back each line instead of writing it (for a streamed response)."""

    def write(self, text: str) -> str:
        return text


def csv_lines(titles: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Iterator[str]:
    """The file line by line, the BOM first; quoting as the csv module does (a value holding `;`,
    a quote or a line break is quoted)."""
    writer = csv.writer(_Line(), delimiter=CSV_SEPARATOR)
    yield BOM + writer.writerow([csv_text(title) for title in titles])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


# --- XLSX ----------------------------------------------------------------------------------------


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: 31 characters at most, none of []:*?/\\."""
    title = _NOT_IN_SHEET_TITLE.sub(" ", name).strip(" '")[:MAX_SHEET_TITLE].strip()
    return title or "Export"


def xlsx_cell(sheet, value: Cell, bold: bool = False):
    """A write-only cell of `sheet` (openpyxl's WriteOnlyCell)."""
    xl = _openpyxl()
    if isinstance(value, str):
        # XML turns a bare CR into a line feed anyway: Excel's line break in a cell is LF.
        text = _NOT_IN_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        cell = xl.WriteOnlyCell(sheet, value=text[:MAX_CELL_TEXT])
        cell.data_type = "s"  # never "f": text that looks like a formula stays text
        if starts_formula(value):
            cell.quotePrefix = True
    else:
        cell = xl.WriteOnlyCell(sheet, value=value)
        cell.number_format = _number_format(value)
    if bold:
        cell.font = xl.bold
    return cell


def _number_format(value: Cell) -> str:
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    if isinstance(value, Decimal):
        places = min(max(-int(value.as_tuple().exponent), 0), 6)
        return "#,##0" + ("." + "0" * places if places else "")
    if isinstance(value, int):
        return "0"
    return "General"


def _shown_length(value: Cell) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, (int, float, Decimal)):
        text = csv_number(value)
        return len(text) + len(text) // 3  # room for the thousands separators
    return max((len(line) for line in str(value).splitlines()), default=0)


def column_widths(titles: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """Each column as wide as its longest value (the header's filter button included), bounded."""
    widths = [len(str(title)) + 4 for title in titles]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _shown_length(value) + 2)
    return [min(MAX_WIDTH, max(MIN_WIDTH, width)) for width in widths]


def _fit_columns(sheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_openpyxl().get_column_letter(index)].width = width


def _list_sheet(sheet, titles: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """The rows under a bold, frozen header with an autofilter, columns fitted to their content."""
    sheet.freeze_panes = "A2"
    _fit_columns(sheet, column_widths(titles, rows))
    xl = _openpyxl()
    last_column = xl.get_column_letter(max(len(titles), 1))
    sheet.auto_filter = xl.AutoFilter(ref=f"A1:{last_column}{len(rows) + 1}")
    sheet.append([xlsx_cell(sheet, str(title), bold=True) for title in titles])
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])


def _information_sheet(sheet, lines: Sequence[tuple[str | None, Cell]]) -> None:
    """Label (bold) and value, one line each; a label left empty continues the one above."""
    _fit_columns(sheet, column_widths(["", ""], [[label, value] for label, value in lines]))
    for label, value in lines:
        sheet.append([xlsx_cell(sheet, label or "", bold=True), xlsx_cell(sheet, value)])


def xlsx_workbook(
    title: str,
    titles: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    information_title: str,
    information: Sequence[tuple[str | None, Cell]],
) -> bytes:
    """A workbook with the list's sheet, then the sheet that says what the export is."""
    workbook = _openpyxl().Workbook(write_only=True)
    _list_sheet(workbook.create_sheet(sheet_title(title)), titles, rows)
    _information_sheet(workbook.create_sheet(sheet_title(information_title)), information)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
