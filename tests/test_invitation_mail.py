"""Calendar invitations as mail clients receive them: the bytes the SMTP server on loopback got, read
with the standard library's parser, the calendar with icalendar and the HTML part with html.parser —
`multipart/mixed` › `multipart/alternative` (text, HTML, `text/calendar; method=…`) + `invite.ics`,
the shape Gmail, Apple Mail and Outlook send and read. Places are written « Lieu — Salle »."""

from __future__ import annotations

import email
from datetime import date, datetime, time
from email.policy import default as default_policy
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from trainadmin.models import CalendarInvitation, Location, Publication, Room, Slot, SlotDate
from trainadmin.services.notifications import calendar, compose, delivery
from trainadmin.services.planning import dates as planning
from trainadmin.transaction import commit

from . import factories
from .delivery_support import due_schedule
from .test_calendar import published_session
from .test_mail_messages import assert_seven_bit_with_short_lines, header_problems

PARIS = ZoneInfo("Europe/Paris")
HOSTILE_LABEL = 'Sécurité <img src="https://evil.example/x.png" onerror="alert(1)"> & « incendie »'
HOSTILE_COMMENT = "<script>alert('x')</script> Apporter un ordinateur & un badge « visiteur »."
PLACE = "Campus Lyon — Salle Rhône"
ADDRESS = "12 rue de la Soie, 69100 Villeurbanne"


class HtmlReader(HTMLParser):
    """What a mail client's HTML renderer meets: tags, attributes, and the text shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def read_html(source: str) -> HtmlReader:
    reader = HtmlReader()
    reader.feed(source)
    reader.close()
    return reader


def lyon_place():
    location = factories.make_named(
        Location, name="Campus Lyon", address="12 rue de la Soie", postcode="69100", city="Villeurbanne"
    )
    return location, factories._add(Room(location=location, name="Salle Rhône", capacity=20))


def invited_participant(db, **session_kw):
    """A published session whose sequence has two days (the second with other hours) in Lyon, and an
    enrolled participant whose invitation was written."""
    session = published_session(label=HOSTILE_LABEL, convocation_comment=HOSTILE_COMMENT, **session_kw)
    location, room = lyon_place()
    sequence = factories.make_sequence(session, label="Journée 1")
    slot = Slot(sequence=sequence, location=location, room=room)
    for day, start, end in (
        (date(2027, 5, 19), time(9), time(17)),
        (date(2027, 5, 20), time(13, 30), time(17)),
    ):
        slot.dates.append(SlotDate(day=day, start_time=start, end_time=end, break_minutes=0))
    factories._add(slot)
    planning.refresh_session(session)
    person = factories.make_collaborator(first_name="Lina", last_name="Morel", email="lina@example.com")
    request = factories.enrol(session, person)
    assert calendar.invite(request) == 1
    invitation = db.session.scalars(sa.select(CalendarInvitation)).one()
    return request, invitation


def tree(message) -> list:
    """The MIME tree as (content type, [children]) / content type."""
    if message.is_multipart():
        return [message.get_content_type(), [tree(part) for part in message.iter_parts()]]
    return message.get_content_type()


def invitation_parts(data: bytes):
    message = email.message_from_bytes(data, policy=default_policy)
    assert tree(message) == [
        "multipart/mixed",
        [["multipart/alternative", ["text/plain", "text/html", "text/calendar"]], "application/ics"],
    ]
    alternative, attachment = message.iter_parts()
    plain, html, inline = alternative.iter_parts()
    return message, plain, html, inline, attachment


def test_an_invitation_carries_text_html_an_inline_calendar_and_invite_ics(app, db, smtp):
    request, invitation = invited_participant(db)

    assert delivery.dispatch_tick(commit)["sent"] == 1

    [item] = smtp.received
    assert header_problems(item.data) == []
    assert_seven_bit_with_short_lines(item.data)
    message, plain, html, inline, attachment = invitation_parts(item.data)
    assert str(message["Subject"]) == f"Invitation : {HOSTILE_LABEL} – Journée 1"

    # The calendar: inline for Gmail and Outlook (method on the part), and the same bytes as invite.ics.
    assert inline.get_param("method") == "REQUEST" and inline.get_param("charset").lower() == "utf-8"
    assert inline.get_content_disposition() is None
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics" and attachment.get_param("name") == "invite.ics"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)
    for part, encoding in ((plain, "quoted-printable"), (html, "quoted-printable")):
        assert part["Content-Transfer-Encoding"] == encoding and part.get_content_charset() == "utf-8"
    assert inline["Content-Transfer-Encoding"] == "base64"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    parsed = Calendar.from_ical(inline.get_payload(decode=True))
    assert parsed["METHOD"] == "REQUEST"
    [master] = [e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" not in e]
    assert str(master["UID"]) == invitation.uid and int(master["SEQUENCE"]) == invitation.sequence_number
    assert master.decoded("DTSTART") == datetime(2027, 5, 19, 9, tzinfo=PARIS)
    assert str(master["LOCATION"]) == f"{PLACE}, {ADDRESS}"

    # The text part: the intro, each day, the comment, the place written naturally.
    text = plain.get_content()
    assert "19/05/2027 09:00–17:00" in text and "20/05/2027 13:30–17:00" in text
    assert f"{PLACE}, {ADDRESS}" in text and HOSTILE_COMMENT in text

    # The HTML part: readable, self-contained, every user text escaped.
    source = html.get_content()
    reader = read_html(source)
    assert reader.tags[0] == "html" and ("html", "lang", "fr") in reader.attributes
    assert {"script", "img", "link", "style", "iframe", "object", "form"}.isdisjoint(reader.tags)
    assert not [a for a in reader.attributes if a[1] == "src" or a[1].startswith("on")]
    styles = [value for _tag, name, value in reader.attributes if name == "style"]
    assert any("max-width" in style for style in styles)
    assert not [s for s in styles if "url(" in s or "@import" in s or "@font-face" in s]
    assert ("meta", "name", "viewport") in reader.attributes
    shown = reader.text
    assert f"{HOSTILE_LABEL} – Journée 1" in shown
    assert HOSTILE_COMMENT in shown
    for expected in (
        "mercredi 19 mai 2027",
        "de 09:00 à 17:00",
        "jeudi 20 mai 2027",
        "de 13:30 à 17:00",
        PLACE,
        ADDRESS,
        "Vous êtes invité(e)",
        "invite.ics",
    ):
        assert expected in shown, expected
    # Every line of the text part is in the HTML part too.
    for line in text.replace("\r\n", "\n").split("\n"):
        assert " ".join(line.split()) in shown, line
    for part in (plain, html, inline):
        assert "salle salle" not in part.get_content().lower()


def test_a_cancellation_is_the_same_shape_with_method_cancel(app, db, smtp):
    request, invitation = invited_participant(db)
    assert delivery.dispatch_tick(commit)["sent"] == 1

    assert calendar.cancel(request=request) == 1
    assert delivery.dispatch_tick(commit)["sent"] == 1

    item = smtp.received[-1]
    assert header_problems(item.data) == []
    assert_seven_bit_with_short_lines(item.data)
    message, plain, html, inline, attachment = invitation_parts(item.data)
    assert inline.get_param("method") == "CANCEL"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)
    parsed = Calendar.from_ical(attachment.get_payload(decode=True))
    [event] = parsed.walk("VEVENT")
    assert parsed["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == invitation.uid and int(event["SEQUENCE"]) == 1
    shown = read_html(html.get_content()).text
    assert "Annulé" in shown and f"{HOSTILE_LABEL} – Journée 1" in shown
    assert "mercredi 19 mai 2027" in shown
    assert " ".join(plain.get_content().split()) in shown


def test_convocation_variables_write_the_place_as_lieu_then_salle(app, db):
    session = factories.make_session(publication=Publication.PUBLISHED)
    location, room = lyon_place()
    factories.make_slot(
        factories.make_sequence(session), days=[date(2027, 5, 10)], location=location, room=room
    )
    factories.enrol(session)
    schedule = due_schedule(
        session,
        subject="Convocation",
        body="Lieu : {{ sequence.place }}\n"
        "{% for slot in slots %}{{ slot.place }} | {{ slot.room }}{% endfor %}",
    )

    [draft] = compose.messages_for_schedule(schedule)

    assert draft.body == f"Lieu : {PLACE}, {ADDRESS}\n{PLACE}, {ADDRESS} | Salle Rhône\n"
    assert "salle salle" not in draft.body.lower()
