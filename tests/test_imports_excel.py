"""Partner feeds as French Excel saves them, imported end to end and through « Importer ».

The files of `tests/fixtures/excel/` are laid out byte for byte as Excel writes them (see the README
there): « CSV (séparateur : point-virgule) » in Windows-1252, « CSV UTF-8 » with its BOM, « Texte
Unicode » in UTF-16 LE with its BOM and TAB; a fourth file is written here by `openpyxl` and Python's
`csv` module (`dialect="excel"`) from a workbook with typed cells, a writer independent of ours. The
expected sessions are written by hand, and the layout of each file is checked with `codecs` and `csv`.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime, time
from html import unescape
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainadmin.extensions import db as _db
from trainadmin.models import FeedFormat, ImportRun, ImportStatus, Location, Role, TrainingSession
from trainadmin.services.imports import FeedError, parse
from trainadmin.services.imports.runs import perform_run, queue_run

from . import factories

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "excel"
COMMENT = "Apporter un ordinateur ; prévoir 1 h\nRepas offert"
HEADER = [
    "reference",
    "training",
    "title",
    "session_type",
    "capacity_max",
    "comments",
    "sequence",
    "teaching_mode",
    "prework",
    "slot",
    "date",
    "start_time",
    "end_time",
    "break_minutes",
    "location",
    "room",
    "trainers",
    "",  # Excel's used range went two columns further: empty trailing columns
    "",
]


def excel_table(days, hours, yes_no) -> list[list[str]]:
    """The sheet the partner filled, as its cells are displayed (what Excel writes)."""
    (d1, d2, d3), (h9, h11, h9b, h17), (yes, no) = days, hours, yes_no
    return [
        HEADER,
        ["XL-101", "NUM-CYBER", "Cybersécurité : les bons réflexes — Lyon", "INTER", "14", COMMENT,
         "Module en ligne", "E-learning", yes, "1", d1, h9, h11, "0", "", "", "Nicolas Aubert", "", ""],
        ["XL-101", "", "", "", "", "", "Journée d’accueil en salle", "Présentiel", no, "1", d2, h9b, h17,
         "60", "Campus Lyon Part-Dieu", "Salle Rhône", "Nicolas Aubert|Émilie Vasseur", "", ""],
        ["XL-102", "BUR-XL2", "Excel perfectionnement — La Défense", "INTER", "12", "", "Formation en salle",
         "Présentiel", no, "1", d3, h9b, h17, "60", "Siège La Défense", "Salle Seine", "Émilie Vasseur", "",
         ""],
        [""] * len(HEADER),  # an empty row of the used range: separators only
    ]  # fmt: skip


# name: (BOM, codec, separator, the sheet as it is displayed)
EXCEL_FILES = {
    "csv-point-virgule.csv": (
        b"",
        "cp1252",
        ";",
        excel_table(("08/03/27", "15/03/27", "12/04/27"), ("09:00:00", "11:00:00", "09:00:00", "17:00:00"),
                    ("VRAI", "FAUX")),
    ),
    "csv-utf8.csv": (
        codecs.BOM_UTF8,
        "utf-8",
        ";",
        excel_table(("08/03/2027", "15/03/2027 00:00:00", "12/04/2027"), ("9:00", "11:00", "9:00", "17:00"),
                    ("Vrai", "faux")),
    ),
    "texte-unicode.txt": (
        codecs.BOM_UTF16_LE,
        "utf-16-le",
        "\t",
        excel_table(("2027-03-08", "2027-03-15", "2027-04-12"), ("09h00", "11h00", "9h", "17h"),
                    ("oui", "non")),
    ),
}  # fmt: skip


def fr(message: str, **values) -> str:
    with force_locale("fr"):
        return gettext(message, **values)


def make_reference_data():
    """The formations, lieux, salles, formateurs and modalités the files name, and the partner."""
    organisation = factories.make_named(factories.TrainingOrganisation, name="Numérique & Compétences")
    factories.make_training(name="Cybersécurité : les bons réflexes", reference="NUM-CYBER")
    factories.make_training(name="Excel perfectionnement", reference="BUR-XL2")
    lyon = factories.make_named(Location, name="Campus Lyon Part-Dieu")
    defense = factories.make_named(Location, name="Siège La Défense")
    for location, name in ((lyon, "Salle Rhône"), (defense, "Salle Seine")):
        factories.make_room(location=location, name=name, capacity=20)
    factories.make_trainer(first_name="Nicolas", last_name="Aubert", email="nicolas.aubert@example.com")
    factories.make_trainer(first_name="Émilie", last_name="Vasseur", email="emilie.vasseur@example.com")
    for name in ("E-learning", "Présentiel"):
        factories.make_named(factories.TeachingMode, name=name)
    return factories.make_partner(name="Partenaire Excel", organisation=organisation)


@pytest.fixture
def world(any_db):
    return make_reference_data()


def import_bytes(partner, data: bytes, name: str):
    run = queue_run(partner, data=data, filename=name)
    return perform_run(run.id, checkpoint=_db.session.commit)


def counts(run) -> tuple[int, int, int, int, int]:
    return (run.created_count, run.updated_count, run.unchanged_count, run.rejected_count, run.flagged_count)


def session_of(partner, reference: str) -> TrainingSession:
    return _db.session.scalar(
        sa.select(TrainingSession).where(
            TrainingSession.partner_id == partner.id, TrainingSession.external_ref == reference
        )
    )


def assert_the_sheet_was_imported(partner) -> None:
    """What the sheet says, written by hand: the sessions, sequences, slots, dates and hours stored."""
    cyber = session_of(partner, "XL-101")
    assert cyber.label == "Cybersécurité : les bons réflexes — Lyon"
    assert (cyber.capacity_max, cyber.comments) == (14, COMMENT)
    assert [(s.label, s.is_prework, s.teaching_mode.name) for s in cyber.sequences] == [
        ("Module en ligne", True, "E-learning"),
        ("Journée d’accueil en salle", False, "Présentiel"),
    ]
    online, classroom = (sequence.slots[0] for sequence in cyber.sequences)
    assert [(d.day, d.start_time, d.end_time, d.break_minutes) for d in online.dates] == [
        (date(2027, 3, 8), time(9), time(11), 0)
    ]
    assert [(d.day, d.start_time, d.end_time, d.break_minutes) for d in classroom.dates] == [
        (date(2027, 3, 15), time(9), time(17), 60)
    ]
    assert (classroom.location.name, classroom.room.name) == ("Campus Lyon Part-Dieu", "Salle Rhône")
    assert sorted(t.email for t in classroom.trainers) == [
        "emilie.vasseur@example.com",
        "nicolas.aubert@example.com",
    ]
    excel = session_of(partner, "XL-102")
    assert excel.label == "Excel perfectionnement — La Défense"
    slot = excel.sequences[0].slots[0]
    assert [(d.day, d.start_time, d.end_time) for d in slot.dates] == [(date(2027, 4, 12), time(9), time(17))]
    assert slot.room.name == "Salle Seine" and not excel.sequences[0].is_prework


# --- The files themselves --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXCEL_FILES))
def test_the_fixture_files_are_laid_out_as_excel_writes_them(name):
    bom, codec, separator, table = EXCEL_FILES[name]
    data = (FIXTURES / name).read_bytes()
    assert data.startswith(bom) if bom else not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE))
    text = data[len(bom) :].decode(codec)
    assert text.count("\r\n") == len(table)  # every row ends with CR LF …
    assert text.replace("\r\n", "").count("\n") == 1  # … and the one line break inside a cell is LF
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=separator)) == table
    if codec == "cp1252":
        assert "—".encode("cp1252") in data and "’".encode("cp1252") in data  # not Latin-1


# --- End to end -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXCEL_FILES))
def test_a_file_saved_by_french_excel_imports_end_to_end(world, name):
    run = import_bytes(world, (FIXTURES / name).read_bytes(), name)

    assert (run.status, run.error) == (ImportStatus.SUCCEEDED, None)
    assert counts(run) == (2, 0, 0, 0, 0)
    assert_the_sheet_was_imported(world)


def test_the_three_excel_files_describe_the_same_sessions(world):
    first, *others = sorted(EXCEL_FILES)
    assert counts(import_bytes(world, (FIXTURES / first).read_bytes(), first)) == (2, 0, 0, 0, 0)
    for name in others:
        run = import_bytes(world, (FIXTURES / name).read_bytes(), name)
        assert (run.status, counts(run)) == (ImportStatus.SUCCEEDED, (0, 0, 2, 0, 0)), name


def xlsx_to_csv() -> bytes:
    """A workbook with typed cells (dates, times, booleans, numbers), saved as XLSX, read back and
    written by Python's csv module in its « excel » dialect: commas, CR LF, quotes where needed."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    nine, eleven, five = time(9), time(11), time(17)
    sheet.append(HEADER[:-2])
    sheet.append(
        [
            "XL-101",
            "NUM-CYBER",
            "Cybersécurité : les bons réflexes — Lyon",
            "INTER",
            14,
            COMMENT,
            "Module en ligne",
            "E-learning",
            True,
            1,
            datetime(2027, 3, 8),
            nine,
            eleven,
            0,
            None,
            None,
            "Nicolas Aubert",
        ]
    )
    sheet.append(
        [
            "XL-101",
            None,
            None,
            None,
            None,
            None,
            "Journée d’accueil en salle",
            "Présentiel",
            False,
            1,
            datetime(2027, 3, 15),
            nine,
            five,
            60,
            "Campus Lyon Part-Dieu",
            "Salle Rhône",
            "Nicolas Aubert|Émilie Vasseur",
        ]
    )
    sheet.append(["XL-102", "BUR-XL2", "Excel perfectionnement — La Défense", "INTER", 12, None,
                  "Formation en salle", "Présentiel", False, 1, datetime(2027, 4, 12), nine, five, 60,
                  "Siège La Défense", "Salle Seine", "Émilie Vasseur"])  # fmt: skip
    saved = io.BytesIO()
    workbook.save(saved)
    rows = openpyxl.load_workbook(io.BytesIO(saved.getvalue())).active.iter_rows(values_only=True)
    out = io.StringIO(newline="")
    csv.writer(out, dialect="excel").writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def test_a_csv_written_from_an_xlsx_by_python_csv_imports_end_to_end(world):
    data = xlsx_to_csv()
    assert b"2027-03-15 00:00:00,09:00:00,17:00:00" in data and b",True," in data and b"\r\n" in data

    run = import_bytes(world, data, "from-xlsx.csv")

    assert (run.status, counts(run)) == (ImportStatus.SUCCEEDED, (2, 0, 0, 0, 0)), run.error
    assert_the_sheet_was_imported(world)


@pytest.mark.parametrize("name", sorted(EXCEL_FILES))
def test_an_excel_file_uploaded_in_importer_lands_on_a_succeeded_run(login_as, db, name):
    partner = make_reference_data()
    client = login_as(Role.MANAGER)
    values = {
        "csrf_token": client.csrf,
        "partner": str(partner.id),
        "action": "upload",
        "file": FileStorage(io.BytesIO((FIXTURES / name).read_bytes()), name, content_type="text/csv"),
    }
    boundary, body = encode_multipart(values)
    response = client.post(
        "/admin/imports/start/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 302
    page = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'id="run-status">{fr("Succeeded")}<' in page
    assert 'id="count-created">2<' in page and 'id="count-rejected">0<' in page
    run = db.session.scalars(sa.select(ImportRun)).one()
    assert (run.filename, run.status) == (name, ImportStatus.SUCCEEDED)
    assert_the_sheet_was_imported(partner)


# --- Every form Excel writes, and the refusals ------------------------------------------------------

FORMS_HEADER = "reference;training;prework;date;start_time;end_time"


def parsed(app, *rows: str, header: str = FORMS_HEADER, encoding: str = "cp1252", prefix: bytes = b""):
    data = prefix + ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)
    with app.app_context(), force_locale("fr"):
        return parse(data, FeedFormat.CSV)


def the_date(session):
    return session.sequences[0].slots[0].dates[0]


@pytest.mark.parametrize(
    "written, expected",
    [
        ("09:00:00", time(9)),
        ("9:00", time(9)),
        ("09:00", time(9)),
        ("09h00", time(9)),
        ("9h", time(9)),
        ("9H30", time(9, 30)),
        ("14:45:00", time(14, 45)),
        ("\u00a009:00\u00a0", time(9)),  # a cell padded with non-breaking spaces
    ],
)
def test_every_hour_excel_writes_is_read(app, written, expected):
    [session] = parsed(app, f"R;NUM-CYBER;;15/03/2027;{written};18:00:00")
    assert session.errors == []
    assert (the_date(session).start, the_date(session).end) == (expected, time(18))


@pytest.mark.parametrize(
    "written, expected",
    [
        ("15/03/27", date(2027, 3, 15)),  # a two-digit year is 20YY
        ("15/03/2027", date(2027, 3, 15)),
        ("2027-03-15", date(2027, 3, 15)),
        ("15/03/2027 00:00:00", date(2027, 3, 15)),  # a date cell Excel holds as date and time
        ("15/03/2027 00:00", date(2027, 3, 15)),
        ("2027-03-15 00:00:00", date(2027, 3, 15)),
        ("1/3/27", date(2027, 3, 1)),
        ("31/12/99", date(2099, 12, 31)),
    ],
)
def test_every_date_excel_writes_is_read(app, written, expected):
    [session] = parsed(app, f"R;NUM-CYBER;;{written};09:00;17:00")
    assert session.errors == []
    assert the_date(session).day == expected


@pytest.mark.parametrize(
    "written, expected",
    [
        ("VRAI", True),
        ("vrai", True),
        ("Oui", True),
        ("OUI", True),
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("x", True),
        ("X", True),
        ("yes", True),
        ("ôui", True),  # an accent typed by mistake
        ("FAUX", False),
        ("Faux", False),
        ("non", False),
        ("NON", False),
        ("0", False),
        ("false", False),
        ("", False),
    ],
)
def test_every_yes_or_no_excel_writes_is_read(app, written, expected):
    [session] = parsed(app, f"R;NUM-CYBER;{written};15/03/27;09:00:00;17:00:00")
    assert session.errors == []
    assert session.sequences[0].values["prework"] is expected


HOUR_REFUSED = "« {} » n'est pas une heure : écrivez 09:00, 9:00, 09:00:00, 09h00 ou 9h."
DATE_REFUSED = "« {} » n'est pas une date : écrivez 15/03/2027, 15/03/27 ou 2027-03-15."
YES_NO_REFUSED = (
    "« {} » n'est ni oui ni non (prework) : écrivez oui ou non (ou VRAI/FAUX, 1/0, true/false, x, "
    "ou vide pour non)."
)


@pytest.mark.parametrize(
    "prework, day, start, message",
    [
        ("", "15/03/27", "25:00", HOUR_REFUSED.format("25:00")),
        ("", "15/03/27", "9", HOUR_REFUSED.format("9")),
        ("", "15/03/27", "9h75", HOUR_REFUSED.format("9h75")),
        ("", "15/03/27", "09:00:30", HOUR_REFUSED.format("09:00:30")),
        ("", "15/03/27", "midi", HOUR_REFUSED.format("midi")),
        ("", "31/02/2027", "09:00", DATE_REFUSED.format("31/02/2027")),
        ("", "15-03-2027", "09:00", DATE_REFUSED.format("15-03-2027")),
        ("", "2027/03/15", "09:00", DATE_REFUSED.format("2027/03/15")),
        ("", "15/03/2027 09:00:00", "09:00", DATE_REFUSED.format("15/03/2027 09:00:00")),
        ("", "15/03/202", "09:00", DATE_REFUSED.format("15/03/202")),
        ("", "15/03", "09:00", DATE_REFUSED.format("15/03")),
        ("peut-être", "15/03/27", "09:00", YES_NO_REFUSED.format("peut-être")),
        ("2", "15/03/27", "09:00", YES_NO_REFUSED.format("2")),
        ("Ouiii", "15/03/27", "09:00", YES_NO_REFUSED.format("Ouiii")),
    ],
)
def test_anything_else_is_refused_with_its_line_and_the_accepted_forms(app, prework, day, start, message):
    good, bad = parsed(
        app, "GOOD;NUM-CYBER;VRAI;15/03/27;09:00:00;17:00:00", f"BAD;NUM-CYBER;{prework};{day};{start};17:00"
    )
    assert good.errors == []
    assert bad.errors == [("3", message)]


# --- Encodings and separators ----------------------------------------------------------------------

SHEET = [
    ["reference", "training", "title", "prework", "date", "start_time", "end_time", "comments", ""],
    ["É-1", "NUM-CYBER", "Sécurité — « les bases »", "VRAI", "15/03/27", "09:00:00", "17:00:00", "a; b, c",
     ""],
    ["É-2", "NUM-CYBER", "Cœur de métier", "FAUX", "16/03/27", "9h", "12h", "ligne 1\nligne 2", ""],
]  # fmt: skip


def excel_bytes(separator: str, codec: str, bom: bytes = b"", first_line: str = "") -> bytes:
    """The sheet as Excel writes it: CR LF, a cell quoted when it holds the separator, a quote or a
    line break."""
    lines = [first_line] if first_line else []
    for row in SHEET:
        cells = [
            f'"{cell.replace(chr(34), chr(34) * 2)}"'
            if any(c in cell for c in (separator, '"', "\n"))
            else cell
            for cell in row
        ]
        lines.append(separator.join(cells))
    return bom + "".join(f"{line}\r\n" for line in lines).encode(codec)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(excel_bytes(";", "cp1252"), id="Windows-1252"),
        pytest.param(excel_bytes(";", "cp1252", codecs.BOM_UTF8), id="Windows-1252 behind a UTF-8 BOM"),
        pytest.param(excel_bytes(";", "utf-8", codecs.BOM_UTF8), id="UTF-8 with BOM"),
        pytest.param(excel_bytes(",", "utf-8"), id="UTF-8, commas"),
        pytest.param(excel_bytes("\t", "utf-16-le", codecs.BOM_UTF16_LE), id="UTF-16 LE, TAB"),
        pytest.param(excel_bytes("\t", "utf-16-be", codecs.BOM_UTF16_BE), id="UTF-16 BE, TAB"),
        pytest.param(excel_bytes("\t", "utf-16-le"), id="UTF-16 LE whose BOM was lost"),
        pytest.param(excel_bytes(";", "cp1252", first_line="sep=;"), id="sep=; first line"),
        pytest.param(excel_bytes(",", "utf-8", codecs.BOM_UTF8, first_line="sep=,"), id="sep=, first line"),
    ],
)
def test_encodings_and_separators_are_found(app, data):
    with app.app_context(), force_locale("fr"):
        first, second = parse(data, FeedFormat.CSV)
    assert (first.reference, first.values["title"], first.values["comments"]) == (
        "É-1",
        "Sécurité — « les bases »",
        "a; b, c",
    )
    assert (second.reference, second.values["title"], second.values["comments"]) == (
        "É-2",
        "Cœur de métier",
        "ligne 1\nligne 2",
    )
    assert [s.sequences[0].values["prework"] for s in (first, second)] == [True, False]
    assert first.errors == second.errors == []
    offset = 1 if data.lstrip(codecs.BOM_UTF8)[:4] == b"sep=" else 0
    assert (first.where, second.where) == (str(2 + offset), str(3 + offset))


def test_a_row_after_a_cell_with_line_breaks_is_named_by_the_line_it_starts_on(app):
    first, second = parsed(
        app,
        'A;NUM-CYBER;"oui\r\n";15/03/27;09:00;17:00',  # a cell over two lines: lines 2 and 3
        "B;NUM-CYBER;;15/03/27;25:00;17:00",
    )
    assert first.errors == []
    assert second.errors == [("4", HOUR_REFUSED.format("25:00"))]


@pytest.mark.parametrize(
    "data, message",
    [
        (
            b"reference;training;date;start_time\r\nR;\xc9t\xe9;15/03/27;09:00:00\r\n",
            "Colonne(s) manquante(s) : end_time (fichier lu en Windows-1252, séparateur « ; »).",
        ),
        (
            codecs.BOM_UTF8 + "reference;training;date;start_time\r\nR;Été;15/03/27;09:00\r\n".encode(),
            "Colonne(s) manquante(s) : end_time (fichier lu en UTF-8 avec BOM, séparateur « ; »).",
        ),
        (
            codecs.BOM_UTF16_LE + "reference\ttraining\tdate\r\nR\tT\t15/03/27\r\n".encode("utf-16-le"),
            "Colonne(s) manquante(s) : start_time, end_time (fichier lu en UTF-16 LE, séparateur "
            "tabulation).",
        ),
        (
            codecs.BOM_UTF16_LE + "reference\ttraining\r\nR\tT\r\n".encode("utf-16-le") + b"\x00\xdc",
            "Le fichier ne peut pas être lu comme du texte UTF-16 LE (ligne 3) : enregistrez-le de nouveau "
            "depuis Excel en « CSV UTF-8 ».",
        ),
        (
            b"reference;training\r\nR;T\r\nS;\x81\r\n",
            "Le fichier n'est ni du texte UTF-8 ni du Windows-1252 (ligne 3) : enregistrez-le de nouveau "
            "depuis Excel en « CSV UTF-8 ».",
        ),
        (
            "reference;training\r\nR;Sécurité\r\n".encode() + b"S;S\xe9curit\xe9\r\n",
            "Le fichier mélange du texte UTF-8 et Windows-1252 (ligne 3) : enregistrez-le de nouveau dans "
            "un seul encodage, depuis Excel en « CSV UTF-8 ».",
        ),
    ],
    ids=["Windows-1252", "UTF-8 with BOM", "UTF-16 LE", "broken UTF-16", "not a text", "mixed"],
)
def test_a_file_that_cannot_be_read_names_its_encoding(app, data, message):
    with app.app_context(), force_locale("fr"), pytest.raises(FeedError) as refused:
        parse(data, FeedFormat.CSV)
    assert refused.value.message == message
