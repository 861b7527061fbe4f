"""Partner import, the service: upsert by (partner, reference), the lock, atomic sessions, absent
sessions flagged, and every bad input, on SQLite and PostgreSQL.

Messages are stored in the app's language (French by default): expected texts go through gettext.
"""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from trainadmin.extensions import db as _db
from trainadmin.models import (
    EmailKind,
    FeedFormat,
    FeedSource,
    ImportedSession,
    ImportOutcome,
    ImportRejection,
    ImportRun,
    ImportStatus,
    Location,
    Origin,
    Publication,
    SessionHistory,
    SessionType,
    Slot,
    SlotChange,
    SlotDate,
    Trainer,
    Training,
    TrainingSession,
    UnknownPolicy,
)
from trainadmin.services.errors import DomainError
from trainadmin.services.imports.runs import perform_run, queue_run, rerun
from trainadmin.services.notifications.rule_texts import rule_text
from trainadmin.services.sessions import set_publication
from trainadmin.services.sessions.lock import lock_message

from . import factories
from .conftest import count_rows, history_lines, need
from .date_state_support import stale_copies

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
RHONE = "Campus Lyon Part-Dieu;Salle Rhône"
SAONE = "Campus Lyon Part-Dieu;Salle Saône"
HEADER = (
    "reference;training;title;sequence;slot;date;start_time;end_time;break_minutes;location;room;trainers"
)


def fr(message: str, **values) -> str:
    with force_locale("fr"):
        return gettext(message, **values)


@pytest.fixture
def world(any_db):
    """The reference data of the examples: formations, lieux with salles, formateurs, modalités."""
    organisation = factories.make_named(factories.TrainingOrganisation, name="Numérique & Compétences")
    cyber = factories.make_training(name="Cybersécurité : les bons réflexes", reference="NUM-CYBER")
    excel = factories.make_training(name="Excel perfectionnement", reference="BUR-XL2")
    lyon = factories.make_named(Location, name="Campus Lyon Part-Dieu")
    defense = factories.make_named(Location, name="Siège La Défense")
    rooms = {
        name: factories.make_room(location=location, name=name, capacity=20)
        for location, name in ((lyon, "Salle Rhône"), (lyon, "Salle Saône"), (defense, "Salle Seine"))
    }
    aubert = factories.make_trainer(
        first_name="Nicolas", last_name="Aubert", email="nicolas.aubert@example.com"
    )
    vasseur = factories.make_trainer(
        first_name="Émilie", last_name="Vasseur", email="emilie.vasseur@example.com"
    )
    for name in ("E-learning", "Présentiel"):
        factories.make_named(factories.TeachingMode, name=name)
    partner = factories.make_partner(name="Campus Partenaires", organisation=organisation)
    return {
        "partner": partner,
        "cyber": cyber,
        "excel": excel,
        "lyon": lyon,
        "rooms": rooms,
        "aubert": aubert,
        "vasseur": vasseur,
        "organisation": organisation,
    }


def run_feed(partner, data: bytes | str, feed_format: FeedFormat = FeedFormat.CSV):
    partner.feed_format = feed_format
    if isinstance(data, str):
        data = data.encode("utf-8")
    run = queue_run(partner, data=data, filename=f"feed.{feed_format.value}")
    return perform_run(run.id, checkpoint=_db.session.commit)


def csv_feed(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def session_of(partner, reference: str) -> TrainingSession | None:
    return _db.session.scalar(
        sa.select(TrainingSession).where(
            TrainingSession.partner_id == partner.id, TrainingSession.external_ref == reference
        )
    )


def rejections(run) -> list[tuple[str, str | None, str]]:
    return [
        (r.line, r.reference, r.reason)
        for r in _db.session.scalars(
            sa.select(ImportRejection).where(ImportRejection.run_id == run.id).order_by(ImportRejection.id)
        )
    ]


def counts(run) -> tuple[int, int, int, int, int]:
    return (run.created_count, run.updated_count, run.unchanged_count, run.rejected_count, run.flagged_count)


# --- The example files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, feed_format",
    [("partner-sessions.csv", FeedFormat.CSV), ("partner-sessions.json", FeedFormat.JSON)],
)
def test_the_shipped_examples_import_a_session_with_its_sequences_and_slots(world, name, feed_format):
    run = run_feed(world["partner"], (EXAMPLES / name).read_bytes(), feed_format)

    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert counts(run) == (2, 0, 0, 0, 0)
    session = session_of(world["partner"], "CP-2027-101")
    assert session.origin == Origin.IMPORTED and session.code.startswith("2027-")
    assert session.label == "Cybersécurité : les bons réflexes — Lyon"
    assert (session.session_type, session.capacity_min, session.capacity_max) == (SessionType.INTER, 6, 14)
    assert session.organisation == world["organisation"]  # the partner's
    assert session.publication == Publication.DRAFT
    assert [s.label for s in session.sequences] == ["Module en ligne", "Journée en salle"]
    prework, classroom = session.sequences
    assert prework.is_prework and prework.teaching_mode.name == "E-learning"
    first, second = classroom.slots
    assert (first.location, first.room) == (world["lyon"], world["rooms"]["Salle Rhône"])
    assert {t.email for t in first.trainers} == {"nicolas.aubert@example.com", "emilie.vasseur@example.com"}
    assert [(d.day, d.start_time, d.end_time, d.break_minutes) for d in first.dates] == [
        (date(2027, 3, 15), time(9), time(17), 60)
    ]
    assert second.room == world["rooms"]["Salle Saône"] and second.dates[0].end_time == time(12, 30)
    assert (session.start_date, session.end_date) == (date(2027, 3, 8), date(2027, 3, 22))
    excel = session_of(world["partner"], "CP-2027-102")
    assert [d.day for d in excel.sequences[0].slots[0].dates] == [date(2027, 4, 12), date(2027, 4, 13)]
    assert excel.duration_days == 2
    created = _db.session.scalars(sa.select(ImportedSession).where(ImportedSession.run_id == run.id)).all()
    assert {(c.session_id, c.outcome) for c in created} == {
        (session.id, ImportOutcome.CREATED),
        (excel.id, ImportOutcome.CREATED),
    }
    history = _db.session.scalars(
        sa.select(SessionHistory).where(
            SessionHistory.session_id == session.id, SessionHistory.action == "imported"
        )
    ).one()
    assert (history.actor, history.user_id) == ("system", None)
    assert "Campus Partenaires" in history.reason
    assert history_lines(session.id)[-1].startswith("Import : Référence du partenaire : CP-2027-101 [")


def test_imported_sessions_get_their_e_mail_rules_and_published_ones_their_schedule(world):
    from trainadmin.models import EmailRule, EmailSchedule

    partner = world["partner"]
    partner.publication = Publication.PUBLISHED
    run = run_feed(partner, (EXAMPLES / "partner-sessions.csv").read_bytes())
    assert run.status == ImportStatus.SUCCEEDED, run.error
    session = session_of(partner, "CP-2027-101")
    rules = _db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)).all()
    assert len(rules) == len(EmailKind)
    assert {rule.kind.value for rule in rules} >= {"enrolment", "convocation"}
    assert {(rule.subject, rule.body) for rule in rules} == {(None, None)}  # no copy of the templates' text
    convocation = next(rule for rule in rules if rule.kind.value == "convocation")
    assert rule_text(convocation).subject == factories.make_email_template(convocation.kind).subject
    planned = _db.session.scalars(
        sa.select(EmailSchedule).join(EmailRule).where(EmailRule.session_id == session.id)
    ).all()
    classroom = session.sequences[1]
    assert planned and {row.sequence_id for row in planned} == {classroom.id}  # pre-work: no e-mail


def test_imported_drafts_follow_the_default_e_mails_until_they_need_their_own(world):
    """No rule rows for an import's drafts: they take their copy of the defaults when published."""
    from trainadmin.models import EmailRule

    partner = world["partner"]
    run = run_feed(partner, (EXAMPLES / "partner-sessions.csv").read_bytes())
    assert run.status == ImportStatus.SUCCEEDED, run.error
    session = session_of(partner, "CP-2027-101")
    assert session.publication == Publication.DRAFT and session.emails_follow_defaults
    assert count_rows(_db, EmailRule) == 0
    set_publication([session], Publication.PUBLISHED, None)
    rules = _db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)).all()
    assert len(rules) == len(EmailKind) and not session.emails_follow_defaults


def test_both_formats_give_the_same_sessions(world):
    """The JSON example describes the same sessions as the CSV one: importing it changes nothing."""
    partner = world["partner"]
    run_feed(partner, (EXAMPLES / "partner-sessions.csv").read_bytes())
    run = run_feed(partner, (EXAMPLES / "partner-sessions.json").read_bytes(), FeedFormat.JSON)
    assert counts(run) == (0, 0, 2, 0, 0)


def test_reimporting_the_same_feed_writes_nothing(world, count_queries):
    partner = world["partner"]
    data = (EXAMPLES / "partner-sessions.csv").read_bytes()
    run_feed(partner, data)
    history_before = count_rows(_db, SessionHistory)
    session = session_of(partner, "CP-2027-101")
    version = session.version
    run = queue_run(partner, data=data, filename="again.csv")
    _db.session.commit()

    with count_queries() as counter:
        perform_run(run.id, checkpoint=_db.session.commit)

    session_tables = ("training_session", "sequence", "slot", "slot_date", "slot_trainer", "session_history")
    writes = [
        s
        for s in counter.statements
        if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and any(f" {t}" in s for t in session_tables)
    ]
    assert writes == []
    assert counts(run) == (0, 0, 2, 0, 0)
    assert count_rows(_db, SessionHistory) == history_before
    _db.session.refresh(session)
    assert session.version == version


def test_a_changed_row_updates_its_session_and_the_history_says_what_changed(world):
    partner = world["partner"]
    run_feed(
        partner,
        csv_feed(f"R1;NUM-CYBER;Cyber;Jour 1;1;2027-05-10;09:00;17:00;60;{RHONE};Nicolas Aubert"),
    )
    session = session_of(partner, "R1")
    code = session.code

    run = run_feed(
        partner,
        csv_feed(f"R1;NUM-CYBER;Cyber avancé;Jour 1;1;2027-05-11;09:30;17:00;60;{SAONE};Émilie Vasseur"),
    )

    assert counts(run) == (0, 1, 0, 0, 0)
    _db.session.refresh(session)
    assert session.code == code and session.label == "Cyber avancé"
    slot = session.sequences[0].slots[0]
    assert slot.room == world["rooms"]["Salle Saône"] and [t.last_name for t in slot.trainers] == ["Vasseur"]
    assert [(d.day, d.start_time) for d in slot.dates] == [(date(2027, 5, 11), time(9, 30))]
    assert session.start_date == date(2027, 5, 11)
    changes = _db.session.scalars(
        sa.select(SessionHistory).where(
            SessionHistory.session_id == session.id, SessionHistory.action == "changed"
        )
    ).all()
    assert "Modification : Libellé : Cyber → Cyber avancé" in [
        line.split(" [")[0] for line in history_lines(session.id)
    ]
    assert all(h.actor == "system" for h in changes)
    outcome = _db.session.scalars(sa.select(ImportedSession).where(ImportedSession.run_id == run.id)).one()
    assert (outcome.session_id, outcome.outcome, outcome.line) == (session.id, ImportOutcome.UPDATED, "2")


def test_sequences_and_slots_follow_the_feed(world):
    partner = world["partner"]
    run_feed(
        partner,
        csv_feed(
            "R1;NUM-CYBER;Cyber;Jour 1;1;2027-05-10;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;",
            "R1;NUM-CYBER;Cyber;Jour 1;2;2027-05-11;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;",
            "R1;NUM-CYBER;Cyber;Jour 2;1;2027-05-20;09:00;12:00;0;;;",
        ),
    )
    session = session_of(partner, "R1")
    assert [(s.label, len(s.slots)) for s in session.sequences] == [("Jour 1", 2), ("Jour 2", 1)]
    assert stale_copies() == []  # what the new dates book, as the « Planning » calendar reads it

    run = run_feed(
        partner,
        csv_feed(
            "R1;NUM-CYBER;Cyber;Jour 1;1;2027-05-10;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;",
        ),
    )

    assert counts(run) == (0, 1, 0, 0, 0)
    _db.session.expire_all()
    session = session_of(partner, "R1")
    assert [(s.label, len(s.slots)) for s in session.sequences] == [("Jour 1", 1)]
    assert (session.start_date, session.end_date, session.sequence_count) == (
        date(2027, 5, 10),
        date(2027, 5, 10),
        1,
    )
    assert count_rows(_db, Slot) == 1
    assert stale_copies() == []


def test_new_sessions_are_inter_unless_the_feed_says_otherwise_and_codes_follow_the_year(world):
    partner = world["partner"]
    world["cyber"].session_type = SessionType.INTRA
    header = HEADER + ";session_type;year"
    run = run_feed(
        partner,
        csv_feed(
            "A;NUM-CYBER;A;S;1;2028-01-10;09:00;17:00;60;;;;;",
            "B;NUM-CYBER;B;S;1;2028-01-11;09:00;17:00;60;;;;INTRA;",
            "C;NUM-CYBER;C;S;1;2028-01-12;09:00;17:00;60;;;;;2029",
            header=header,
        ),
    )
    assert counts(run) == (3, 0, 0, 0, 0)
    a, b, c = (session_of(partner, ref) for ref in "ABC")
    assert (a.session_type, b.session_type) == (SessionType.INTER, SessionType.INTRA)
    assert a.code.startswith("2028-") and b.code.startswith("2028-") and c.code.startswith("2029-")
    assert int(b.code[-4:]) == int(a.code[-4:]) + 1


def test_the_partner_publication_applies_to_new_sessions(world):
    partner = world["partner"]
    partner.publication = Publication.PUBLISHED
    run_feed(partner, csv_feed("P;NUM-CYBER;P;S;1;2028-01-10;09:00;17:00;60;;;"))
    assert session_of(partner, "P").publication == Publication.PUBLISHED


def test_references_are_per_partner(world):
    other = factories.make_partner(name="Autre partenaire")
    row = "SAME;NUM-CYBER;X;S;1;2028-01-10;09:00;17:00;60;;;"
    run_feed(world["partner"], csv_feed(row))
    run = run_feed(other, csv_feed(row))
    assert counts(run) == (1, 0, 0, 0, 0)
    assert session_of(world["partner"], "SAME").id != session_of(other, "SAME").id


# --- Absent sessions ------------------------------------------------------------------------------


def test_a_session_absent_from_the_feed_is_flagged_never_deleted_and_unflagged_when_back(world, monkeypatch):
    partner = world["partner"]
    monkeypatch.setattr("trainadmin.services.imports.runs.local_today", lambda: date(2027, 1, 1))
    kept = "K;NUM-CYBER;K;S;1;2027-05-10;09:00;17:00;60;;;"
    gone = "G;NUM-CYBER;G;S;1;2027-05-11;09:00;17:00;60;;;"
    past = "P;NUM-CYBER;P;S;1;2026-05-11;09:00;17:00;60;;;"
    run_feed(partner, csv_feed(kept, gone, past))

    run = run_feed(partner, csv_feed(kept))

    assert counts(run) == (0, 0, 1, 0, 1)  # the past session is history, not flagged
    absent = session_of(partner, "G")
    assert absent is not None and absent.missing_from_feed
    assert not session_of(partner, "P").missing_from_feed
    flagged = _db.session.scalars(sa.select(ImportedSession).where(ImportedSession.run_id == run.id)).one()
    assert (flagged.session_id, flagged.outcome) == (absent.id, ImportOutcome.FLAGGED)

    again = run_feed(partner, csv_feed(kept))  # still absent: counted, not written again
    assert counts(again) == (0, 0, 1, 0, 1)
    assert count_rows(_db, ImportedSession) == 3 + 1

    back = run_feed(partner, csv_feed(kept, gone))
    assert counts(back) == (0, 1, 1, 0, 0)
    _db.session.refresh(absent)
    assert not absent.missing_from_feed


# --- The lock after enrolment ----------------------------------------------------------------------


def test_changes_to_a_session_with_participants_are_reported_not_applied(world):
    partner = world["partner"]
    run_feed(
        partner,
        csv_feed("L;NUM-CYBER;Cyber;S;1;2027-05-10;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;"),
    )
    session = session_of(partner, "L")
    factories.enrol(session)
    _db.session.commit()

    run = run_feed(
        partner,
        csv_feed("L;NUM-CYBER;Cyber;S;1;2027-05-12;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;"),
    )

    assert counts(run) == (0, 0, 0, 1, 0)
    [(line, reference, reason)] = rejections(run)
    assert (line, reference) == ("2", "L")
    with force_locale("fr"):
        assert reason.startswith(lock_message(session))
    _db.session.refresh(session)
    assert [d.day for d in session.sequences[0].slots[0].dates] == [date(2027, 5, 10)]
    assert count_rows(_db, SlotChange) == 0
    unchanged = run_feed(
        partner,
        csv_feed("L;NUM-CYBER;Cyber;S;1;2027-05-10;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;"),
    )
    assert counts(unchanged) == (0, 0, 1, 0, 0)  # the same feed is no change: nothing to refuse


# --- Atomic sessions, the rest of the file imports --------------------------------------------------


def test_a_bad_row_rejects_its_whole_session_and_the_rest_imports(world):
    partner = world["partner"]
    run = run_feed(
        partner,
        csv_feed(
            "OK1;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;",
            "BAD;NUM-CYBER;B;S;1;2027-05-11;09:00;17:00;60;;;",
            "BAD;NUM-CYBER;B;S;2;2027-05-12;18:00;17:00;0;;;",
            "OK2;NUM-CYBER;C;S;1;2027-05-13;09:00;17:00;60;;;",
        ),
    )
    assert counts(run) == (2, 0, 0, 1, 0)
    assert session_of(partner, "BAD") is None
    assert rejections(run) == [("4", "BAD", fr("The end time must be after the start time."))]
    assert {s.external_ref for s in _db.session.scalars(sa.select(TrainingSession))} == {"OK1", "OK2"}
    assert count_rows(_db, SlotDate) == 2  # nothing left of the rejected session


def test_a_room_already_booked_rejects_the_session(world):
    partner = world["partner"]
    other = factories.make_session()
    factories.make_slot(
        factories.make_sequence(other),
        days=[date(2027, 5, 10)],
        room=world["rooms"]["Salle Rhône"],
        location=world["lyon"],
    )
    run = run_feed(
        partner, csv_feed("R;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;Campus Lyon Part-Dieu;Salle Rhône;")
    )
    assert counts(run) == (0, 0, 0, 1, 0)
    [(line, _ref, reason)] = rejections(run)
    assert line == "2" and other.code in reason
    assert session_of(partner, "R") is None


# --- Unknown formations, lieux, formateurs: per partner policy ---------------------------------------


def test_unknown_references_are_rejected_with_the_reject_policy(world):
    partner = world["partner"]
    partner.unknown_policy = UnknownPolicy.REJECT
    run = run_feed(
        partner,
        csv_feed(
            "U1;NOPE;A;S;1;2027-05-10;09:00;17:00;60;;;",
            "U2;NUM-CYBER;B;S;1;2027-05-11;09:00;17:00;60;Lieu inconnu;;",
            "U3;NUM-CYBER;C;S;1;2027-05-12;09:00;17:00;60;Campus Lyon Part-Dieu;Salle X;",
            "U4;NUM-CYBER;D;S;1;2027-05-13;09:00;17:00;60;;;Jean Inconnu",
        ),
    )
    assert counts(run) == (0, 0, 0, 4, 0)
    assert rejections(run) == [
        ("2", "U1", fr("Unknown training « %(value)s ».", value="NOPE")),
        ("3", "U2", fr("Unknown location « %(value)s ».", value="Lieu inconnu")),
        (
            "4",
            "U3",
            fr(
                "Unknown room « %(room)s » in « %(location)s ».",
                room="Salle X",
                location="Campus Lyon Part-Dieu",
            ),
        ),
        ("5", "U4", fr("Unknown trainer « %(value)s ».", value="Jean Inconnu")),
    ]
    assert count_rows(_db, TrainingSession) == 0


def test_unknown_references_are_created_with_the_create_policy(world):
    partner = world["partner"]
    partner.unknown_policy = UnknownPolicy.CREATE
    run = run_feed(
        partner,
        csv_feed(
            "C1;Nouvelle formation;A;S;1;2027-05-10;09:00;17:00;60;Nouveau lieu;Salle 1;"
            "Jean Neuf <jean.neuf@example.com>",
            "C2;Nouvelle formation;B;S;1;2027-05-11;09:00;17:00;60;Nouveau lieu;Salle 1;"
            "jean.neuf@example.com",
        ),
    )
    assert counts(run) == (2, 0, 0, 0, 0)
    training = _db.session.scalar(sa.select(Training).where(Training.name == "Nouvelle formation"))
    trainer = _db.session.scalar(sa.select(Trainer).where(Trainer.email == "jean.neuf@example.com"))
    assert (trainer.first_name, trainer.last_name) == ("Jean", "Neuf")
    location = _db.session.scalar(sa.select(Location).where(Location.name == "Nouveau lieu"))
    assert [r.name for r in location.rooms] == ["Salle 1"]
    assert session_of(partner, "C1").training == training == session_of(partner, "C2").training
    assert session_of(partner, "C2").sequences[0].slots[0].trainers == [trainer]


def test_what_a_rejected_session_created_is_rolled_back_with_it(world):
    partner = world["partner"]
    partner.unknown_policy = UnknownPolicy.CREATE
    run = run_feed(
        partner,
        csv_feed(
            "X;Formation éphémère;A;S;1;2027-05-10;09:00;17:00;60;;;",
            "X;Formation éphémère;A;S;1;2027-05-10;18:00;17:00;60;;;",
        ),
    )
    assert counts(run) == (0, 0, 0, 1, 0)
    assert _db.session.scalar(sa.select(Training).where(Training.name == "Formation éphémère")) is None


# --- Bad input, each a test --------------------------------------------------------------------------


def test_windows_1252_and_utf8_files_are_both_read(world):
    partner = world["partner"]
    text = csv_feed(
        f"E;NUM-CYBER;Sécurité élémentaire;Journée;1;2027-05-10;09:00;17:00;60;{RHONE};Émilie Vasseur"
    )
    run = run_feed(partner, text.encode("cp1252"))
    assert run.status == ImportStatus.SUCCEEDED and counts(run) == (1, 0, 0, 0, 0)
    session = session_of(partner, "E")
    assert session.label == "Sécurité élémentaire"
    assert session.sequences[0].slots[0].trainers == [world["vasseur"]]
    again = run_feed(partner, "\ufeff" + text)  # the same, in UTF-8 with its mark
    assert counts(again) == (0, 0, 1, 0, 0)


def test_a_missing_column_fails_the_run_and_imports_nothing(world):
    run = run_feed(world["partner"], "reference;training;date;start_time\nR;NUM-CYBER;2027-05-10;09:00\n")
    assert run.status == ImportStatus.FAILED
    assert run.error == "Colonne(s) manquante(s) : end_time (fichier lu en UTF-8, séparateur « ; »)."
    assert count_rows(_db, TrainingSession) == 0


@pytest.mark.parametrize(
    "day, start, message, values",
    [
        (
            "2027-13-40",
            "09:00",
            "« %(value)s » is not a date: write 15/03/2027, 15/03/27 or 2027-03-15.",
            {"value": "2027-13-40"},
        ),
        (
            "demain",
            "09:00",
            "« %(value)s » is not a date: write 15/03/2027, 15/03/27 or 2027-03-15.",
            {"value": "demain"},
        ),
        (
            "10/05/2027",
            "25:00",
            "« %(value)s » is not a time: write 09:00, 9:00, 09:00:00, 09h00 or 9h.",
            {"value": "25:00"},
        ),
        (
            "10/05/2027",
            "9h75",
            "« %(value)s » is not a time: write 09:00, 9:00, 09:00:00, 09h00 or 9h.",
            {"value": "9h75"},
        ),
    ],
)
def test_a_bad_date_or_hour_rejects_the_session_with_its_line(world, day, start, message, values):
    run = run_feed(
        world["partner"],
        csv_feed(
            "GOOD;NUM-CYBER;A;S;1;2027-05-10;9h;17h30;60;;;",
            f"BAD;NUM-CYBER;A;S;1;{day};{start};17:00;60;;;",
        ),
    )
    assert counts(run) == (1, 0, 0, 1, 0)
    assert rejections(run) == [("3", "BAD", fr(message, **values))]
    good = session_of(world["partner"], "GOOD").sequences[0].slots[0].dates[0]
    assert (good.start_time, good.end_time) == (time(9), time(17, 30))


def test_french_dates_are_read(world):
    run = run_feed(world["partner"], csv_feed("F;NUM-CYBER;A;S;1;10/05/2027;09:00;17:00;60;;;"))
    assert counts(run) == (1, 0, 0, 0, 0)
    assert session_of(world["partner"], "F").start_date == date(2027, 5, 10)


def test_the_same_reference_twice_in_one_file_is_rejected(world):
    run = run_feed(
        world["partner"],
        csv_feed(
            "D;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;",
            "OTHER;NUM-CYBER;B;S;1;2027-05-11;09:00;17:00;60;;;",
            "D;NUM-CYBER;A;S;1;2027-05-12;09:00;17:00;60;;;",
        ),
    )
    assert counts(run) == (1, 0, 0, 2, 0)
    message = fr(
        "The reference %(reference)s appears more than once in the file (%(places)s).",
        reference="D",
        places="2, 4",
    )
    assert rejections(run) == [("2", "D", message), ("4", "D", message)]
    assert session_of(world["partner"], "D") is None


def test_the_same_reference_twice_in_a_json_file_is_rejected(world):
    item = {"reference": "J", "training": "NUM-CYBER", "sequences": []}
    run = run_feed(world["partner"], json.dumps([item, item]), FeedFormat.JSON)
    assert counts(run) == (0, 0, 0, 2, 0)
    assert [line for line, _ref, _reason in rejections(run)] == ["$[0]", "$[1]"]


@pytest.mark.parametrize("data", [b"", b"   \n", b"reference;training;date;start_time;end_time\n"])
def test_an_empty_file_is_refused(world, data):
    partner = world["partner"]
    if not data.strip():
        with pytest.raises(Exception) as refused:
            queue_run(partner, data=data, filename="empty.csv")
        assert refused.value.message == fr("The file is empty.")
        return
    run = run_feed(partner, data)
    assert (run.status, run.error) == (ImportStatus.FAILED, fr("The file holds no session."))


def test_a_file_over_the_size_limit_is_refused(world, any_app, import_folder, monkeypatch):
    partner = world["partner"]
    monkeypatch.setitem(any_app.config, "TRAINADMIN_MAX_UPLOAD_MB", 1)
    big = import_folder / "big.csv"
    big.write_bytes(
        csv_feed("R;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;").encode() + b" " * (1024 * 1024)
    )
    partner.source_kind, partner.source = FeedSource.PATH, str(big)
    run = queue_run(partner)
    perform_run(run.id, checkpoint=_db.session.commit)
    assert (run.status, run.error) == (
        ImportStatus.FAILED,
        fr("The file is over the size limit of %(mb)s MB.", mb=1),
    )
    assert count_rows(_db, TrainingSession) == 0


def test_malformed_json_fails_the_run_with_where_it_breaks(world):
    run = run_feed(world["partner"], '{"sessions": [{"reference": "A",}]}', FeedFormat.JSON)
    assert run.status == ImportStatus.FAILED
    assert run.error == "Le fichier n'est pas un JSON valide (ligne 1, colonne 33 ; fichier lu en UTF-8)."


def test_json_problems_name_their_path(world):
    document = {
        "sessions": [
            {
                "reference": "J1",
                "training": "NUM-CYBER",
                "sequences": [
                    {
                        "label": "S",
                        "slots": [
                            {"dates": [{"date": "2027-05-10", "start_time": "9:00", "end_time": "soir"}]}
                        ],
                    }
                ],
            }
        ]
    }
    run = run_feed(world["partner"], json.dumps(document), FeedFormat.JSON)
    assert rejections(run) == [
        (
            "$.sessions[0].sequences[0].slots[0].dates[0].end_time",
            "J1",
            fr("« %(value)s » is not a time: write 09:00, 9:00, 09:00:00, 09h00 or 9h.", value="soir"),
        )
    ]


def test_a_json_slot_without_date_is_rejected_at_its_path(world):
    document = [
        {"reference": "J2", "training": "NUM-CYBER", "sequences": [{"label": "S", "slots": [{"dates": []}]}]}
    ]
    run = run_feed(world["partner"], json.dumps(document), FeedFormat.JSON)
    assert rejections(run) == [("$[0].sequences[0].slots[0]", "J2", fr("Add at least one date."))]


def test_an_unreachable_url_fails_the_run(world):
    partner = world["partner"]
    partner.source_kind, partner.source = FeedSource.URL, "https://127.0.0.1:9/feed.csv"
    run = queue_run(partner)
    perform_run(run.id, checkpoint=_db.session.commit)
    assert run.status == ImportStatus.FAILED
    assert run.error.startswith(
        fr("The feed could not be fetched from %(url)s: %(reason)s", url=partner.source, reason="")[:30]
    )
    assert count_rows(_db, TrainingSession) == 0


def test_a_plain_http_address_is_refused(world):
    partner = world["partner"]
    partner.source_kind, partner.source = FeedSource.URL, "http://127.0.0.1:9/feed.csv"
    run = queue_run(partner)
    perform_run(run.id, checkpoint=_db.session.commit)
    assert (run.status, run.error) == (ImportStatus.FAILED, fr("Only https:// addresses are accepted."))


def test_a_folder_feed_takes_its_newest_file(world, import_folder):
    import os

    partner = world["partner"]
    older, newer = import_folder / "a.csv", import_folder / "b.csv"
    older.write_text(csv_feed("OLD;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;"))
    newer.write_text(csv_feed("NEW;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;"))
    os.utime(older, (1_700_000_000, 1_700_000_000))
    partner.source_kind, partner.source = FeedSource.PATH, str(import_folder)
    run = queue_run(partner)
    perform_run(run.id, checkpoint=_db.session.commit)
    assert (run.status, run.filename) == (ImportStatus.SUCCEEDED, "b.csv")
    assert session_of(partner, "NEW") is not None and session_of(partner, "OLD") is None


def test_counts_add_up_when_unchanged_rejected_and_created_sessions_mix(world):
    partner = world["partner"]
    same = "A;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;"
    run_feed(partner, csv_feed(same))
    run = run_feed(
        partner,
        csv_feed(
            same,
            "B;NUM-CYBER;B;S;1;2027-05-11;18:00;17:00;60;;;",
            "C;NUM-CYBER;C;S;1;2027-05-12;09:00;17:00;60;;;",
            "D;INCONNUE;D;S;1;2027-05-12;09:00;17:00;60;;;",
        ),
    )
    assert counts(run) == (1, 0, 1, 2, 0)
    assert [ref for _line, ref, _reason in rejections(run)] == ["B", "D"]


# --- How a run ends --------------------------------------------------------------------------------


def stored_payload(run) -> bytes | None:
    return _db.session.scalar(sa.select(ImportRun.payload).where(ImportRun.id == run.id))


def test_a_run_with_some_sessions_rejected_ends_with_rejections(world):
    partner = world["partner"]
    feed = csv_feed(
        "OK;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;",
        "KO;NUM-CYBER;B;S;1;2027-05-11;25:00;17:00;60;;;",
    )
    run = run_feed(partner, feed)

    assert (run.status, run.error, counts(run)) == (ImportStatus.WITH_REJECTIONS, None, (1, 0, 0, 1, 0))
    assert run.finished_at is not None and stored_payload(run) is None  # ended: its file is not kept
    again = run_feed(partner, feed)  # the good one unchanged, the bad one rejected again
    assert (again.status, counts(again)) == (ImportStatus.WITH_REJECTIONS, (0, 0, 1, 1, 0))
    fine = run_feed(partner, csv_feed("OK;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;"))
    assert (fine.status, counts(fine)) == (ImportStatus.SUCCEEDED, (0, 0, 1, 0, 0))


def test_a_run_whose_every_session_is_rejected_fails_changes_nothing_and_can_be_started_again(
    world, monkeypatch
):
    partner = world["partner"]
    partner.unknown_policy = UnknownPolicy.REJECT
    monkeypatch.setattr("trainadmin.services.imports.runs.local_today", lambda: date(2027, 1, 1))
    run_feed(partner, csv_feed("EARLIER;NUM-CYBER;E;S;1;2027-05-09;09:00;17:00;60;;;"))
    feed = csv_feed(
        "N1;NUM-IA;A;S;1;2027-05-10;09:00;17:00;60;;;",
        "N2;NUM-IA;B;S;1;2027-05-11;09:00;17:00;60;;;",
    )

    run = run_feed(partner, feed)

    assert (run.status, counts(run)) == (ImportStatus.FAILED, (0, 0, 0, 2, 0))
    assert run.error == "Les 2 sessions du fichier ont été rejetées : rien n'a été importé."
    assert [ref for _line, ref, _reason in rejections(run)] == ["N1", "N2"]
    assert not session_of(partner, "EARLIER").missing_from_feed  # a failed run flags nothing
    assert stored_payload(run) == feed.encode()  # kept, to start it again
    single = run_feed(partner, csv_feed("N3;NUM-IA;A;S;1;2027-05-10;09:00;17:00;60;;;"))
    assert single.error == "La seule session du fichier a été rejetée : rien n'a été importé."

    factories.make_training(name="Intelligence artificielle", reference="NUM-IA")  # the missing formation
    rerun(_db.session.get(ImportRun, run.id))
    _db.session.commit()
    run = perform_run(run.id, checkpoint=_db.session.commit)

    assert (run.status, run.error, counts(run)) == (ImportStatus.SUCCEEDED, None, (2, 0, 0, 0, 1))
    assert rejections(run) == []  # read again from its first line: the old reasons are gone
    assert session_of(partner, "N1") is not None and session_of(partner, "EARLIER").missing_from_feed
    assert stored_payload(run) is None


def test_a_run_that_ended_is_left_alone_by_a_second_job(world):
    partner = world["partner"]
    run = run_feed(
        partner,
        csv_feed(
            "KO;NUM-CYBER;B;S;1;2027-05-11;25:00;17:00;60;;;",
            "OK;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;",
        ),
    )
    assert run.status == ImportStatus.WITH_REJECTIONS
    with pytest.raises(DomainError):
        rerun(run)  # only a failed or stopped run starts again
    assert perform_run(run.id, checkpoint=_db.session.commit).status == ImportStatus.WITH_REJECTIONS
    assert counts(run) == (1, 0, 0, 1, 0) and len(rejections(run)) == 1


def test_two_new_sessions_of_one_file_cannot_book_the_same_room_at_the_same_time(world):
    partner = world["partner"]
    run = run_feed(
        partner,
        csv_feed(
            f"R1;NUM-CYBER;A;S;1;2027-05-10;09:00;12:00;0;{RHONE};",
            f"R2;NUM-CYBER;B;S;1;2027-05-10;11:00;17:00;0;{RHONE};",
            f"R3;NUM-CYBER;C;S;1;2027-05-10;12:00;17:00;0;{RHONE};",
        ),
    )
    assert counts(run) == (2, 0, 0, 1, 0)
    first = session_of(partner, "R1")
    [(line, reference, reason)] = rejections(run)
    assert (line, reference) == ("3", "R2") and first.code in reason
    assert session_of(partner, "R3") is not None  # touching hours do not overlap


def test_new_sessions_get_their_dates_durations_and_surveys_like_a_session_created_by_hand(world):
    evaluation = factories.make_named(factories.Evaluation, questions="Clarté")
    world["cyber"].evaluation = evaluation
    run_feed(
        world["partner"],
        csv_feed(
            "D;NUM-CYBER;A;Pré-requis;1;2027-05-03;09:00;11:00;0;;;",
            "D;NUM-CYBER;A;Jour;1;2027-05-10;09:00;17:00;60;;;",
            "D;NUM-CYBER;A;Jour;1;2027-05-11;09:00;12:30;0;;;",
        ),
    )
    session = session_of(world["partner"], "D")
    assert (session.start_date, session.end_date, session.sequence_count) == (
        date(2027, 5, 3),
        date(2027, 5, 11),
        2,
    )
    assert (session.duration_days, session.duration_hours) == (3, Decimal("12.50"))
    assert session.evaluation == evaluation and session.version == 1
    assert [(s.position, s.hot_survey_enabled, s.hot_survey_evaluation_id) for s in session.sequences] == [
        (0, True, evaluation.id),
        (1, True, evaluation.id),
    ]
    assert [(s.start_date, s.end_date) for s in session.sequences] == [
        (date(2027, 5, 3), date(2027, 5, 3)),
        (date(2027, 5, 10), date(2027, 5, 11)),
    ]


@pytest.fixture
def https_feed(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate the client is told to trust;
    `serve(path, body, status)` publishes a file, the fixture gives its base address."""
    import http.server
    import shutil
    import ssl
    import subprocess
    import threading

    openssl = shutil.which("openssl")
    if openssl is None:
        need("openssl", "not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    pages: dict[str, tuple[int, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = pages.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        yield pages, f"https://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_feed_is_fetched_over_https(world, https_feed):
    pages, base = https_feed
    pages["/feed.csv"] = (200, csv_feed("W;NUM-CYBER;Web;S;1;2027-05-10;09:00;17:00;60;;;").encode("cp1252"))
    pages["/gone.csv"] = (500, b"oops")
    partner = world["partner"]
    partner.source_kind, partner.source = FeedSource.URL, f"{base}/feed.csv"
    run = queue_run(partner)
    perform_run(run.id, checkpoint=_db.session.commit)
    assert (run.status, run.filename, run.created_count) == (ImportStatus.SUCCEEDED, "feed.csv", 1)
    assert session_of(partner, "W").label == "Web"

    partner.source = f"{base}/gone.csv"
    failed = queue_run(partner)
    perform_run(failed.id, checkpoint=_db.session.commit)
    assert failed.status == ImportStatus.FAILED
    assert failed.error == fr(
        "The feed could not be fetched from %(url)s: %(reason)s", url=partner.source, reason=500
    )


def test_a_negative_break_is_refused(world):
    run = run_feed(world["partner"], csv_feed("N;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;-30;;;"))
    assert rejections(run) == [
        ("2", "N", fr("« %(value)s » is not a whole number (%(name)s).", value=-30, name="break_minutes"))
    ]


def test_when_the_database_refuses_a_batch_its_sessions_are_created_one_by_one(world, monkeypatch):
    from trainadmin.services.imports.creation import BulkCreator

    def refused(self, sessions, run_id):
        _db.session.execute(sa.text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(BulkCreator, "write", refused)
    run = run_feed(
        world["partner"],
        csv_feed(
            "F1;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;",
            "F2;NUM-CYBER;B;S;1;2027-05-11;09:00;17:00;60;;;",
        ),
    )
    assert run.status == ImportStatus.SUCCEEDED and counts(run) == (2, 0, 0, 0, 0)
    assert session_of(world["partner"], "F1").sequences[0].slots[0].dates[0].day == date(2027, 5, 10)
    outcomes = _db.session.scalars(
        sa.select(ImportedSession.reference).where(ImportedSession.run_id == run.id)
    )
    assert sorted(outcomes) == ["F1", "F2"]
