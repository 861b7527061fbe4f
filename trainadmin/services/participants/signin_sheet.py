"""The feuille d'émargement of one slot date: participants and trainers sign each half-day the date
covers (fpdf2, pure Python, made on demand).

A date with digital signatures prints, for each half-day, each person's signature and its time,
the marks set by hand beside them, the trainers' countersignatures, and at the bottom the sheet's
fingerprint: the SHA-256 of its content (`sheet_content`: names, marks, times and the SHA-256 of
each signature image, as canonical JSON), so that a later change of any of them is visible.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import undefer

from ...extensions import db
from ...models import Attendance, HalfDay, Presence, Signature, Trainer, TrainingRequest, TrainingSession
from .. import organisation
from ..documents import draw_letterhead, new_pdf, paragraph, pdf_text, set_font, slot_place
from .attendance import AttendanceDay
from .signatures import local_time

if TYPE_CHECKING:
    from fpdf import FPDF

SIGNATURE_HEIGHT = 14  # mm: room for a handwritten signature
NAME_SHARE = 2  # the name column is twice as wide as a signature column
TIME_SHARE = 0.7  # the time column beside a digital signature


def _half_day_label(half: HalfDay) -> str:
    return gettext("Morning") if half == HalfDay.MORNING else gettext("Afternoon")


def _presence_label(value: Presence) -> str:
    return {
        Presence.PRESENT: gettext("Present"),
        Presence.ABSENT: gettext("Absent"),
        Presence.EXCUSED: gettext("Excused"),
    }[value]


def _trainer_people(day: AttendanceDay) -> list[Trainer]:
    slot = day.slot
    people: list[Trainer] = sorted(slot.trainers, key=lambda t: (t.last_name, t.first_name, t.id))
    if slot.co_trainer is not None and slot.co_trainer not in people:
        people.append(slot.co_trainer)
    return people


def _trainers(day: AttendanceDay) -> list[str]:
    names = [
        str(trainer) for trainer in sorted(day.slot.trainers, key=lambda t: (t.last_name, t.first_name, t.id))
    ]
    if day.slot.co_trainer is not None and day.slot.co_trainer not in day.slot.trainers:
        names.append(gettext("%(name)s (co-trainer)", name=day.slot.co_trainer))
    return names


@dataclass
class SheetRecords:
    """The signatures (images loaded) and the marks set by hand of one date, by person and half-day."""

    signatures: dict[tuple[str, int, HalfDay], Signature] = field(default_factory=dict)
    marks: dict[tuple[int, HalfDay], Presence] = field(default_factory=dict)

    @property
    def digital(self) -> bool:
        return bool(self.signatures)

    def participant(self, request_id: int, half: HalfDay) -> Signature | None:
        return self.signatures.get(("request", request_id, half))

    def trainer(self, trainer_id: int, half: HalfDay) -> Signature | None:
        return self.signatures.get(("trainer", trainer_id, half))


def sheet_records(day: AttendanceDay, participants: list[TrainingRequest]) -> SheetRecords:
    records = SheetRecords()
    rows = db.session.scalars(
        sa.select(Signature)
        .where(Signature.slot_date_id == day.slot_date.id, Signature.half_day.in_(day.half_days))
        .options(undefer(Signature.image))
    )
    for signature in rows:
        signer = (
            ("request", signature.request_id) if signature.request_id else ("trainer", signature.trainer_id)
        )
        records.signatures[(*signer, signature.half_day)] = signature
    if participants:
        marks = db.session.execute(
            sa.select(Attendance.request_id, Attendance.half_day, Attendance.value).where(
                Attendance.slot_date_id == day.slot_date.id,
                Attendance.request_id.in_([request.id for request in participants]),
            )
        )
        records.marks = {(request_id, half): value for request_id, half, value in marks}
    return records


def _signed(signature: Signature | None) -> dict:
    if signature is None:
        return {"signed_at": None, "image_sha256": None}
    return {"signed_at": signature.signed_at.isoformat(), "image_sha256": signature.image_sha256}


def sheet_content(
    session: TrainingSession, day: AttendanceDay, participants: list[TrainingRequest], records: SheetRecords
) -> dict:
    """What the fingerprint is made of: every name, mark set by hand, signature time (UTC) and the
    SHA-256 of each signature image, per half-day."""
    slot_date = day.slot_date
    return {
        "session": session.code,
        "date": slot_date.day.isoformat(),
        "hours": [slot_date.start_time.strftime("%H:%M"), slot_date.end_time.strftime("%H:%M")],
        "half_days": [
            {
                "half_day": half.value,
                "participants": [
                    {
                        "demande": request.id,
                        "name": str(request.collaborator),
                        "mark": records.marks.get((request.id, half)),
                        **_signed(records.participant(request.id, half)),
                    }
                    for request in participants
                ],
                "trainers": [
                    {
                        "trainer": trainer.id,
                        "name": str(trainer),
                        **_signed(records.trainer(trainer.id, half)),
                    }
                    for trainer in _trainer_people(day)
                ],
            }
            for half in day.half_days
        ],
    }


def fingerprint(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sheet_fingerprint(
    session: TrainingSession, day: AttendanceDay, participants: list[TrainingRequest]
) -> str:
    return fingerprint(sheet_content(session, day, participants, sheet_records(day, participants)))


def _signature_table(pdf: FPDF, heading: str, names: list[str], half_days: tuple[HalfDay, ...]) -> None:
    set_font(pdf, 10)
    with pdf.table(
        col_widths=(NAME_SHARE, *([1] * len(half_days))),
        text_align=("LEFT", *(["CENTER"] * len(half_days))),
        line_height=6,
        padding=(0, 2),
    ) as table:
        table.row([pdf_text(heading), *(pdf_text(_half_day_label(half)) for half in half_days)])
        for name in names:
            table.row([pdf_text(name), *([""] * len(half_days))], min_height=SIGNATURE_HEIGHT)


def _cell_text(signature: Signature | None, mark: Presence | None) -> str:
    lines = []
    if signature is not None:
        lines.append(local_time(signature.signed_at))
    if mark is not None:
        lines.append(gettext("%(mark)s (set by hand)", mark=_presence_label(mark)))
    return "\n".join(lines)


def _digital_table(
    pdf: FPDF, heading: str, people: list[tuple[str, list]], half_days: tuple[HalfDay, ...]
) -> None:
    """people: (name, [(signature, mark) per half-day])."""
    set_font(pdf, 9)
    with pdf.table(
        col_widths=(NAME_SHARE, *([1, TIME_SHARE] * len(half_days))),
        text_align=("LEFT", *(["CENTER"] * 2 * len(half_days))),
        line_height=5,
        padding=(0, 2),
        num_heading_rows=2,
    ) as table:
        row = table.row()
        row.cell(pdf_text(heading), rowspan=2)
        for half in half_days:
            row.cell(pdf_text(_half_day_label(half)), colspan=2)
        row = table.row()
        for _half in half_days:
            row.cell(pdf_text(gettext("Signature")))
            row.cell(pdf_text(gettext("Time")))
        for name, cells in people:
            row = table.row(min_height=SIGNATURE_HEIGHT)
            row.cell(pdf_text(name))
            for signature, mark in cells:
                if signature is not None:
                    row.cell(img=io.BytesIO(signature.image))
                else:
                    row.cell("")
                row.cell(pdf_text(_cell_text(signature, mark)))


def _draw_digital(pdf: FPDF, session, day: AttendanceDay, participants, records: SheetRecords) -> None:
    halves = day.half_days
    rows = [
        (
            str(request.collaborator),
            [
                (records.participant(request.id, half), records.marks.get((request.id, half)))
                for half in halves
            ],
        )
        for request in participants
    ]
    _digital_table(pdf, gettext("Participants (%(num)s)", num=len(rows)), rows, halves)
    pdf.ln(6)
    trainers = [
        (str(trainer), [(records.trainer(trainer.id, half), None) for half in halves])
        for trainer in _trainer_people(day)
    ]
    _digital_table(pdf, gettext("Trainers"), trainers or [("", [(None, None)] * len(halves))], halves)
    pdf.ln(6)
    set_font(pdf, 8)
    paragraph(
        pdf,
        gettext(
            "Signed online: times in local time; each signature is kept with its device's address and "
            "browser. Marks set by hand by the training department are shown beside the signatures."
        ),
        4,
        after=2,
    )
    paragraph(pdf, gettext("Fingerprint of this sheet (SHA-256 of its content):"), 4)
    set_font(pdf, 8, bold=True)
    paragraph(pdf, fingerprint(sheet_content(session, day, participants, records)), 4)


def signin_sheet_pdf(
    session: TrainingSession, day: AttendanceDay, participants: list[TrainingRequest]
) -> bytes:
    slot_date = day.slot_date
    title = gettext("Sign-in sheet")
    day_text = slot_date.day.strftime("%d/%m/%Y")
    pdf = new_pdf(f"{title} {session.code} {day_text}")
    pdf.add_page()
    draw_letterhead(pdf, organisation.letterhead())
    set_font(pdf, 16, bold=True)
    paragraph(pdf, title, 9)
    set_font(pdf, 11)
    starts, ends = slot_date.start_time.strftime("%H:%M"), slot_date.end_time.strftime("%H:%M")
    lines = [
        gettext("Session: %(code)s - %(label)s", code=session.code, label=session.label),
        gettext("Training: %(label)s", label=session.training.name),
        gettext("Sequence: %(label)s", label=day.sequence.label),
        gettext("Date: %(date)s, %(start)s-%(end)s", date=day_text, start=starts, end=ends),
        gettext("Place: %(place)s", place=slot_place(day.slot) or "-"),
    ]
    for line in lines:
        paragraph(pdf, line, 6)
    pdf.ln(4)
    records = sheet_records(day, participants)
    if records.digital:
        _draw_digital(pdf, session, day, participants, records)
        return bytes(pdf.output())
    names = [str(request.collaborator) for request in participants]
    _signature_table(pdf, gettext("Participants (%(num)s)", num=len(names)), names, day.half_days)
    pdf.ln(6)
    # No trainer set yet: one blank line, so whoever runs the day still has a place to sign.
    _signature_table(pdf, gettext("Trainers"), _trainers(day) or [""], day.half_days)
    return bytes(pdf.output())
