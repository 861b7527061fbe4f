"""The convocation of an INTER session's participant: a PDF generated on demand (fpdf2, pure Python)."""

from __future__ import annotations

from flask_babel import gettext
from fpdf import FPDF

from ...models import RequestStatus, SessionType, TrainingRequest
from ..documents import pdf_text as _text
from ..documents import slot_place
from ..errors import DomainError


def convocation_pdf(request: TrainingRequest) -> bytes:
    session = request.session
    if session.session_type != SessionType.INTER:
        raise DomainError(gettext("Convocations of INTRA sessions are sent by e-mail."))
    if request.status != RequestStatus.ENROLLED:
        raise DomainError(gettext("The convocation can be downloaded once the collaborator is enrolled."))
    pdf = FPDF(format="A4")
    pdf.set_title(_text(gettext("Convocation")))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _text(gettext("Convocation")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    collaborator = request.collaborator
    lines = [
        gettext("Participant: %(name)s (%(email)s)", name=collaborator, email=collaborator.email),
        gettext("Training: %(label)s", label=session.label),
        gettext("Session: %(code)s", code=session.code),
    ]
    for line in lines:
        pdf.multi_cell(0, 7, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for sequence in session.sequences:
        if sequence.is_prework:
            continue
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 8, _text(sequence.label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for slot in sequence.slots:
            place = slot_place(slot)
            for day in slot.dates:
                pdf.multi_cell(
                    0,
                    6,
                    _text(f"{day.day:%d/%m/%Y}  {day.start_time:%H:%M}-{day.end_time:%H:%M}  {place}"),
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
        pdf.ln(2)
    if session.convocation_comment:
        pdf.ln(3)
        pdf.multi_cell(0, 6, _text(session.convocation_comment), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
