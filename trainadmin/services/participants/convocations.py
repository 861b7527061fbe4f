"""The convocation of an INTER session's participant: a one-page letter from the organisation (its
letterhead, the date, the collaborator, the subject, each sequence's dates, hours and place, the
convocation comment, whom to ask, the signature), generated on demand (fpdf2, pure Python)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING

from flask_babel import format_date, gettext

from ...clock import local_today
from ...models import (
    Collaborator,
    RequestStatus,
    Sequence,
    SequenceStatus,
    SessionType,
    Slot,
    SlotDate,
    TrainingRequest,
)
from .. import organisation
from ..documents import (
    bind_spaces,
    draw_letterhead,
    location_address,
    new_pdf,
    paragraph,
    pdf_text,
    set_font,
)
from ..errors import DomainError

if TYPE_CHECKING:
    from fpdf import FPDF

LINE = 5  # mm: the height of a line of body text (10 pt)
SMALL_LINE = 4.6  # mm: place lines (9.5 pt)
INDENT = 5  # mm: dates and places under their sequence
RIGHT_BLOCK = 0.5  # the recipient and the signature start at the middle of the page


def convocation_pdf(request: TrainingRequest, on: date | None = None) -> bytes:
    """The letter, dated `on` (today where the sessions take place by default)."""
    session = request.session
    if session.session_type != SessionType.INTER:
        raise DomainError(gettext("Convocations of INTRA sessions are sent by e-mail."))
    if request.status != RequestStatus.ENROLLED:
        raise DomainError(gettext("The convocation can be downloaded once the collaborator is enrolled."))
    sender = organisation.sender()
    collaborator = request.collaborator
    pdf = new_pdf(gettext("Convocation") + f" {session.code} {collaborator}")
    pdf.add_page()
    draw_letterhead(pdf, sender.letterhead)
    _date_and_recipient(pdf, sender, collaborator, on or local_today())
    set_font(pdf, 10, bold=True)
    paragraph(
        pdf,
        gettext(
            'Subject: convocation to the training "%(label)s" (session %(code)s)',
            label=session.label,
            code=session.code,
        ),
        LINE,
        after=4,
    )
    set_font(pdf, 10)
    paragraph(pdf, gettext("Hello %(name)s,", name=collaborator), LINE, after=2)
    paragraph(
        pdf,
        gettext(
            "We are pleased to confirm your enrolment in this training. "
            "Please come on the following dates, at the following places:"
        ),
        LINE,
        after=3,
    )
    sequences, places = _sequences(session)
    set_font(pdf, 10)
    left_width = max(
        (pdf.get_string_width(line) + 4 for _, days in sequences for line, _ in days),
        default=0,
    )
    left_width = min(left_width, (pdf.epw - INDENT) * 0.6)
    for sequence, days in sequences:
        _sequence(pdf, sequence, days, left_width)
    _places(pdf, places)
    if session.convocation_comment and session.convocation_comment.strip():
        set_font(pdf, 10, bold=True)
        paragraph(pdf, gettext("Practical information"), LINE, after=1)
        set_font(pdf, 10)
        paragraph(pdf, session.convocation_comment.strip(), LINE, after=3)
    paragraph(pdf, _contact(sender), LINE, after=3)
    _closing(pdf, sender)
    return bytes(pdf.output())


def _date_and_recipient(
    pdf: FPDF, sender: organisation.Sender, collaborator: Collaborator, today: date
) -> None:
    day = format_date(today, "long")
    dated = gettext("%(city)s, %(date)s", city=sender.city, date=day) if sender.city else None
    set_font(pdf, 10)
    dated = pdf_text(dated or gettext("On %(date)s", date=day))
    pdf.cell(0, LINE, dated, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    indent = pdf.epw * RIGHT_BLOCK
    set_font(pdf, 10.5, bold=True)
    paragraph(pdf, str(collaborator), LINE, indent=indent)
    set_font(pdf, 10)
    if collaborator.department:
        paragraph(pdf, collaborator.department, LINE, indent=indent)
    pdf.ln(8)


# --- The sequences and the places ----------------------------------------------------------------


@dataclass
class _Place:
    """A place (lieu and salle) the letter sends the collaborator to, with every access note and
    on-site contact of the slots held there."""

    slot: Slot
    notes: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return place_label(self.slot)


def place_label(slot: Slot) -> str:
    """« Campus Lyon, salle Rhône » (« Campus Lyon, Salle 2 » when the room's name says it)."""
    name = str(slot.location) if slot.location is not None else ""
    if slot.room is None:
        return name or gettext("Place to be confirmed")
    room = str(slot.room)
    if not name:
        return room
    if unicodedata.normalize("NFC", room).casefold().startswith(gettext("room").casefold()):
        return f"{name}, {room}"
    return gettext("%(place)s, room %(room)s", place=name, room=room)


def _clock(moment: time) -> str:
    hours, minutes = moment.strftime("%H"), moment.strftime("%M")
    return gettext("%(hours)s:%(minutes)s", hours=hours, minutes=minutes)


def date_line(slot_date: SlotDate) -> str:
    """« Lundi 10 mai 2027, de 09h00 à 17h00 »."""
    day = format_date(slot_date.day, "full")
    return gettext(
        "%(day)s, from %(start)s to %(end)s",
        day=day[:1].upper() + day[1:],
        start=_clock(slot_date.start_time),
        end=_clock(slot_date.end_time),
    )


def _on_site_contact(slot: Slot) -> str:
    """The slot's host (responsable d'accueil), else the place's contact."""
    if slot.host_name or slot.host_email:
        return ", ".join(p for p in (slot.host_name, slot.host_email) if p)
    location = slot.location
    if location is None:
        return ""
    return ", ".join(p for p in (location.contact_name, location.contact_phone, location.contact_email) if p)


def _sequences(session) -> tuple[list[tuple[Sequence, list[tuple[str, Slot]]]], list[_Place]]:
    """The sequences the collaborator attends, each with its dates in order (as printed), and the
    places they are held at, in the order they first come."""
    sequences, places = [], {}
    for sequence in session.sequences:
        if sequence.is_prework or sequence.status == SequenceStatus.CANCELLED:
            continue
        days = sorted(
            ((slot_date, slot) for slot in sequence.slots for slot_date in slot.dates),
            key=lambda row: (row[0].day, row[0].start_time),
        )
        sequences.append((sequence, [(date_line(slot_date), slot) for slot_date, slot in days]))
        for _, slot in days:
            place = places.setdefault((slot.location_id, slot.room_id), _Place(slot))
            note = (slot.location_comment or "").strip()
            contact = _on_site_contact(slot)
            if note and note not in place.notes:
                place.notes.append(note)
            if contact and contact not in place.contacts:
                place.contacts.append(contact)
    return sequences, list(places.values())


def _row(pdf: FPDF, left: str, right: str, left_width: float) -> None:
    """A date and its place side by side; the place wraps in its own column if it must."""
    top = pdf.get_y()
    pdf.set_x(pdf.l_margin + INDENT)
    pdf.cell(left_width, LINE, pdf_text(left), align="L")
    width = pdf.epw - INDENT - left_width
    right = bind_spaces(pdf_text(right))
    if pdf.get_string_width(right) <= width:
        pdf.cell(width, LINE, right, align="L", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(width, LINE, right, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + LINE))


def _sequence(pdf: FPDF, sequence: Sequence, days: list[tuple[str, Slot]], left_width: float) -> None:
    if pdf.will_page_break(LINE * (2 + len(days))):
        pdf.add_page()
    set_font(pdf, 10.5, bold=True)
    paragraph(pdf, sequence.label, LINE + 0.5)
    set_font(pdf, 10)
    if not days:
        paragraph(pdf, gettext("Dates to be confirmed"), LINE, indent=INDENT)
    for line, slot in days:
        _row(pdf, line, place_label(slot), left_width)
    if sequence.url:
        paragraph(pdf, gettext("Link: %(url)s", url=sequence.url), LINE, indent=INDENT)
    pdf.ln(2)


def place_lines(place: _Place) -> list[str]:
    """Under the place's name: its address, the access notes, whom to see there."""
    lines = []
    address = location_address(place.slot.location)
    if address:
        lines.append(gettext("Address: %(address)s", address=address))
    lines.extend(gettext("Access: %(notes)s", notes=note) for note in place.notes)
    lines.extend(gettext("On-site contact: %(contact)s", contact=contact) for contact in place.contacts)
    return lines


def _places(pdf: FPDF, places: list[_Place]) -> None:
    places = [place for place in places if place.slot.location is not None or place.slot.room is not None]
    if not places:
        return
    if pdf.will_page_break(LINE * 3):
        pdf.add_page()
    set_font(pdf, 10, bold=True)
    paragraph(pdf, gettext("Where to go"), LINE, after=0.5)
    for place in places:
        set_font(pdf, 10, bold=True)
        paragraph(pdf, place.label, LINE, indent=INDENT)
        set_font(pdf, 9.5)
        for line in place_lines(place):
            paragraph(pdf, line, SMALL_LINE, indent=INDENT)
        pdf.ln(1)
    pdf.ln(2)


# --- The end of the letter ----------------------------------------------------------------------


def _contact(sender: organisation.Sender) -> str:
    email = sender.training_email
    phone = sender.training_phone.replace(" ", "\u00a0")  # a number is never cut at the end of a line
    if email and phone:
        return gettext(
            "For any question, contact the training department: %(email)s, phone %(phone)s.",
            email=email,
            phone=phone,
        )
    if email:
        return gettext("For any question, contact the training department: %(email)s.", email=email)
    if phone:
        return gettext("For any question, call the training department on %(phone)s.", phone=phone)
    return gettext("For any question, contact the training department.")


def _closing(pdf: FPDF, sender: organisation.Sender) -> None:
    signature = [sender.signatory_name, sender.signatory_title] if sender.signatory_name else []
    if not signature:
        signature = [gettext("The training department"), sender.signatory_title]
    signature.append(sender.name)
    signature = [line for line in signature if line]
    if pdf.will_page_break(3 * LINE + 8 + len(signature) * LINE):
        pdf.add_page()
    paragraph(pdf, gettext("We wish you an excellent training."), LINE)
    paragraph(pdf, gettext("Kind regards,"), LINE, after=8)
    indent = pdf.epw * RIGHT_BLOCK
    for number, line in enumerate(signature):
        set_font(pdf, 10, bold=number == 0)
        paragraph(pdf, line, LINE, indent=indent)
