"""The feuille d'émargement of one slot date: participants and trainers sign each half-day the date
covers (fpdf2, pure Python, made on demand)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext

from ...models import HalfDay, Trainer, TrainingRequest, TrainingSession
from .. import organisation
from ..documents import draw_letterhead, new_pdf, paragraph, pdf_text, set_font, slot_place
from .attendance import AttendanceDay

if TYPE_CHECKING:
    from fpdf import FPDF

SIGNATURE_HEIGHT = 14  # mm: room for a handwritten signature
NAME_SHARE = 2  # the name column is twice as wide as a signature column


def _half_day_label(half: HalfDay) -> str:
    return gettext("Morning") if half == HalfDay.MORNING else gettext("Afternoon")


def _trainers(day: AttendanceDay) -> list[str]:
    slot = day.slot
    people: list[Trainer] = sorted(slot.trainers, key=lambda t: (t.last_name, t.first_name, t.id))
    names = [str(trainer) for trainer in people]
    if slot.co_trainer is not None and slot.co_trainer not in people:
        names.append(gettext("%(name)s (co-trainer)", name=slot.co_trainer))
    return names


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
    names = [str(request.collaborator) for request in participants]
    _signature_table(pdf, gettext("Participants (%(num)s)", num=len(names)), names, day.half_days)
    pdf.ln(6)
    # No trainer set yet: one blank line, so whoever runs the day still has a place to sign.
    _signature_table(pdf, gettext("Trainers"), _trainers(day) or [""], day.half_days)
    return bytes(pdf.output())
