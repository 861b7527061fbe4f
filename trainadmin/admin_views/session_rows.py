"""The cells of the session list, made in one pass per page for the list template's own row macro.

The list is the page people open most. Flask-Admin draws each cell through `get_list_value`: a
column formatter, then a walk over every type formatter, a lazy string per enum label, per cell
(about 15 ms for 20 rows). Here each column has its own small function, each enum label and badge
is translated once per page, and the text is the same as Flask-Admin's (tests compare both)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from functools import lru_cache

from flask_babel import get_locale
from markupsafe import Markup, escape

from ..models import Publication, TrainingSession
from .labels import enum_label

Cell = Callable[[TrainingSession], object]


#: The session list's columns, in their order: what its rows draw and what the view lists.
SESSION_COLUMNS = (
    "code",
    "label",
    "training",
    "session_type",
    "start_date",
    "end_date",
    "duration_days",
    "sequence_count",
    "enrolled_count",
    "publication",
    "status",
)


class PageCells:
    """Formatting shared by the rows of one page: labels and badges computed once."""

    #: The columns drawn here (a session or a plain row with these attributes).
    NAMES = frozenset(SESSION_COLUMNS)

    def __init__(self) -> None:
        self.french = str(get_locale()) == "fr"
        self.labels: dict[Enum, str] = {}
        self.badges: dict[Publication, Markup] = {}

    def label(self, value: Enum | None) -> str:
        if value is None:
            return ""
        text = self.labels.get(value)
        if text is None:
            text = self.labels[value] = enum_label(value)
        return text

    def badge(self, value: Publication) -> Markup:
        badge = self.badges.get(value)
        if badge is None:
            css = "ta-badge-draft" if value == Publication.DRAFT else "badge-success"
            badge = Markup('<span class="badge {}">{}</span>').format(css, escape(self.label(value)))
            self.badges[value] = badge
        return badge

    def decimal(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        text = format(Decimal(value).normalize(), "f")
        return text.replace(".", ",") if self.french else text

    @staticmethod
    def day(value) -> str:
        return "" if value is None else value.strftime("%d/%m/%Y")

    @staticmethod
    def text(value) -> str:
        return "" if value is None else value

    def columns(self) -> dict[str, Cell]:
        return {
            "code": lambda s: self.text(s.code),
            "label": lambda s: self.text(s.label),
            "training": lambda s: "" if s.training is None else str(s.training),
            "session_type": lambda s: self.label(s.session_type),
            "start_date": lambda s: self.day(s.start_date),
            "end_date": lambda s: self.day(s.end_date),
            "duration_days": lambda s: self.decimal(s.duration_days),
            "sequence_count": lambda s: self.text(s.sequence_count),
            "enrolled_count": lambda s: self.text(s.enrolled_count),
            "publication": lambda s: self.badge(s.publication),
            "status": lambda s: self.label(s.status),
        }


def page_rows(
    sessions: Iterable[TrainingSession], names: list[str], other: Callable[[TrainingSession, str], object]
) -> list[tuple[int, list[object]]]:
    """(id, cells in the order of `names`) for each session of the page; a column without its own
    function here is drawn by `other` (Flask-Admin's way)."""
    cells = PageCells().columns()
    makers = [cells.get(name) or (lambda s, name=name: other(s, name)) for name in names]
    return [(session.id, [make(session) for make in makers]) for session in sessions]


def _row_action(url: str, title: str, icon: str) -> Markup:
    if not url:
        return Markup("  \n")
    return Markup(
        '  <a class="icon" href="{}{{pk}}" title="{}"><span class="fa {}" aria-hidden="true"></span>'
        '<span class="sr-only">{}</span></a>\n'
    ).format(url, title, icon, title)


def _row_markup(names: list[str], urls: dict, select_title: str, with_checkbox) -> tuple[str, list[str]]:
    """The start of each row (checkbox, row actions: « {pk} » stands for the id) and the opening of
    each cell; made once for each set of columns, actions and language."""
    return _row_markup_of(tuple(names), tuple(urls.items()), str(select_title), bool(with_checkbox))


@lru_cache(maxsize=64)
def _row_markup_of(names: tuple, url_items: tuple, select_title: str, with_checkbox: bool):
    urls = dict(url_items)
    checkbox = Markup(
        '\n  <td><input type="checkbox" name="rowid" class="action-checkbox" value="{{pk}}"'
        ' title="{}" /></td>'
    ).format(select_title)
    head = Markup("").join(
        [
            Markup("<tr>"),
            checkbox if with_checkbox else Markup(""),
            Markup('\n  <td class="list-buttons-column">\n'),
            _row_action(urls["details"], urls["details_title"], "fa-eye"),
            _row_action(urls["edit"], urls["edit_title"], "fa-pencil"),
            _row_action(urls["duplicate"], urls["duplicate_title"], "fa-clone"),
            Markup("  </td>"),
        ]
    )
    return str(head), tuple(str(Markup('\n  <td class="col-{}">').format(name)) for name in names)


def rows_html(
    rows: list[tuple[int, list[object]]], names: list[str], urls: dict, select_title: str, with_checkbox
) -> Markup:
    """The <tr> of each row, as the list template's row macro drew them (same markup, escaped the
    same way), written here: a Jinja macro call per row cost more than the row itself."""
    head, opens = _row_markup(names, urls, select_title, with_checkbox)
    parts: list[str] = []
    for pk, cells in rows:
        parts.append(head.replace("{pk}", str(int(pk))))
        for open_cell, cell in zip(opens, cells, strict=True):
            parts += (open_cell, escape(cell), "</td>")
        parts.append("\n</tr>\n  ")
    # Every piece is markup written above or a cell passed through escape().
    return Markup("".join(parts))  # noqa: S704


class CellTexts(dict):
    """Value → its escaped cell text, made on first sight: the rows of a page repeat their labels,
    trainings, dates and counts, and a dictionary lookup is the cheapest way to draw them again."""

    def __init__(self, make: Callable[[object], object]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value) -> str:
        text = self[value] = str(escape(self.make(value)))
        return text


#: The tables of texts per language, shared by the pages of the process: each maps a value to its
#: escaped text (a label, a date, a number, a training's name), which only depends on the value and
#: the language. Emptied past MAX_TEXTS entries.
TEXT_TABLES: dict[str, dict[str, CellTexts]] = {}
MAX_TEXTS = 10_000


def cell_tables() -> dict[str, CellTexts]:
    locale = str(get_locale())
    tables = TEXT_TABLES.get(locale)
    if tables is None:
        cells = PageCells()
        tables = TEXT_TABLES[locale] = {
            "session_type": CellTexts(cells.label),
            "status": CellTexts(cells.label),
            "publication": CellTexts(cells.badge),
            "training": CellTexts(PageCells.text),
            "start_date": CellTexts(PageCells.day),
            "end_date": CellTexts(PageCells.day),
            "duration_days": CellTexts(cells.decimal),
            "sequence_count": CellTexts(PageCells.text),
            "enrolled_count": CellTexts(PageCells.text),
        }
    for table in tables.values():
        if len(table) > MAX_TEXTS:
            table.clear()
    return tables


#: The whole cell (`<td class="col-…">text</td>`) of each value, per language and column: a row is
#: then one lookup per cell. Emptied past MAX_TEXTS entries, as the texts.
CELL_TABLES: dict[tuple[str, str], CellTexts] = {}


def _cells(locale: str, open_cell: str, texts: CellTexts) -> CellTexts:
    cells = CELL_TABLES.get((locale, open_cell))
    if cells is None or cells.texts is not texts or len(cells) > MAX_TEXTS:
        # Pieces of markup written here and a text of `texts` (escaped).
        cells = CELL_TABLES[(locale, open_cell)] = CellTexts(
            lambda value: Markup(f"{open_cell}{texts[value]}</td>")  # noqa: S704
        )
        cells.texts = texts
    return cells


def plain_rows_html(rows, fields, names: list[str], urls: dict, select_title: str, with_checkbox) -> Markup:
    """The same <tr> as `rows_html`, from plain rows (tuples whose fields are named by `fields`:
    `id` and one per name of `names`): the list's own page (session_list_page.py) reads rows, not
    sessions."""
    cell_texts = cell_tables()
    head, opens = _row_markup(names, urls, select_title, with_checkbox)
    if not rows:
        return Markup("")
    locale = str(get_locale())
    fields = {field: index for index, field in enumerate(fields)}
    pk = fields["id"]
    # Free text (no table) is escaped as it comes; the other columns are whole cells of a table.
    draw = []
    for open_cell, name in zip(opens, names, strict=True):
        texts = cell_texts.get(name)
        draw.append((open_cell, None if texts is None else _cells(locale, open_cell, texts), fields[name]))
    parts: list[str] = []
    append = parts.append
    for row in rows:
        append(head.replace("{pk}", str(int(row[pk]))))
        for open_cell, cells, index in draw:
            value = row[index]
            if cells is None:
                append(f"{open_cell}{'' if value is None else str(value).translate(HTML_ESCAPES)}</td>")
            else:
                append(cells[value])
        append("\n</tr>\n  ")
    # Every piece is markup written above, a cell of CellTexts (escaped) or escaped free text.
    return Markup("".join(parts))  # noqa: S704


#: markupsafe.escape's replacements, for str.translate: one C call per cell of free text.
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})
