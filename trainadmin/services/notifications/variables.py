"""The variables of the e-mail templates, built from the planning, in French formats.

Every e-mail is rendered with:

- ``session``: ``code``, ``label``, ``formation``, ``type`` (INTRA / INTER), ``organisation``,
  ``start_date``, ``end_date`` (« 15/05/2027 »), ``first_day``, ``last_day`` (« samedi 15 mai 2027 »),
  ``duration_days``, ``duration_hours``
- ``sequences``: every sequence of the session, pre-work included, each as ``sequence`` below
- ``planning``: the whole planning as text, one line per day
- ``participant``: ``first_name``, ``last_name``, ``email`` of the participant the message is for
  (empty texts when it goes to someone else: a trainer, the organisme, an added recipient)
- ``participants``: the enrolled participants, each with ``first_name``, ``last_name``, ``email``;
  the addresses only in the messages to the trainers and the training organisation (an empty
  ``email`` in the others: a participant does not receive the others' addresses)
- ``recipient``: ``email`` and ``name`` of whoever receives this message

E-mails sent for each sequence (every kind but the enrolment confirmation and the cancellation) also
have:

- ``sequence``: ``label``, ``start_date``, ``end_date``, ``first_day``, ``last_day``, ``dates`` (one
  text per day: « samedi 15 mai 2027, de 09h00 à 17h00 »), ``schedule`` (the same, one per line),
  ``timetable`` (« de 09h00 à 17h00 »), ``hours_per_day`` (« 7 »), ``place``, ``url``,
  ``teaching_mode``
- ``slots``: the sequence's slots, each with ``place``, ``room``, ``trainers``, ``co_trainer``,
  ``host`` (responsable d'accueil), ``dates``

The e-mails of a demande waiting for the collaborator's manager (the request, its reminder, the
decision told to the training department) also have ``demande``: ``collaborator`` (first and last
name), ``collaborator_email``, ``manager_email``, ``place``, ``cost_per_trainee`` (« 450,00 € », empty
when the session has no cost), ``decision_url`` (the manager's personal link), ``link_expires_on``,
``decision`` (« acceptée » / « refusée ») and ``comment`` (the manager's).

The hot and cold survey e-mails also have ``survey_url``: the participant's own link to answer the
survey (a new one in each message; empty in a message to anyone else).

and ``comments`` holds the notification comments that belong to the kind of e-mail:
``convocation_comment`` (convocation, reminder), ``trainer_comment`` (dossier formateur),
``organisation_comment`` (organisme de formation: the session's and the slots'),
``location_comment`` (lieu). A template that uses any other name is refused when it is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from babel.dates import format_date

from ...models import EmailAnchor, EmailKind, SurveyKind
from .places import full_place

SEQUENCE_ANCHORS = frozenset({EmailAnchor.SEQUENCE_START, EmailAnchor.SEQUENCE_END})

#: The notification comments each kind of e-mail carries.
COMMENTS_BY_KIND: dict[EmailKind, tuple[str, ...]] = {
    EmailKind.CONVOCATION: ("convocation_comment",),
    EmailKind.REMINDER: ("convocation_comment",),
    EmailKind.TRAINER_FILE: ("trainer_comment",),
    EmailKind.ORGANISATION: ("organisation_comment",),
    EmailKind.LOCATION: ("location_comment",),
}

#: The e-mails that carry each participant's survey link (`survey_url`), and the survey it opens.
SURVEY_EMAILS: dict[EmailKind, SurveyKind] = {
    EmailKind.HOT_SURVEY: SurveyKind.HOT,
    EmailKind.COLD_SURVEY: SurveyKind.COLD,
}

#: The e-mails that may carry the participant's survey link (`survey_url`).
SURVEY_URL_KINDS = frozenset({*SURVEY_EMAILS, EmailKind.SURVEY_REMINDER})

COMMON_VARIABLES = (
    "session",
    "sequences",
    "planning",
    "participant",
    "participants",
    "recipient",
    "comments",
)
SEQUENCE_VARIABLES = ("sequence", "slots")
REQUEST_VARIABLES = ("demande",)
#: A demande's variables, all texts: what a template may read of them (rendered empty until given).
DEMANDE_FIELDS = (
    "collaborator",
    "collaborator_email",
    "manager_email",
    "place",
    "cost_per_trainee",
    "decision_url",
    "link_expires_on",
    "decision",
    "comment",
)


def variables_for(anchor: EmailAnchor) -> tuple[str, ...]:
    if anchor == EmailAnchor.REQUEST:
        return COMMON_VARIABLES + REQUEST_VARIABLES
    if anchor == EmailAnchor.SURVEY:
        return COMMON_VARIABLES + ("sequence",)
    if anchor == EmailAnchor.SIGNIN_DAY:
        return COMMON_VARIABLES + ("sequence", "signin_day", "signin")
    return COMMON_VARIABLES + (SEQUENCE_VARIABLES if anchor in SEQUENCE_ANCHORS else ())


# --- French formats ----------------------------------------------------------------------------


def short_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def long_date(day: date | None) -> str:
    return format_date(day, "EEEE d MMMM y", locale="fr") if day else ""


def clock(value: time | None) -> str:
    return value.strftime("%Hh%M") if value else ""


def french_number(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


# --- Building the variables from the planning ---------------------------------------------------


def day_line(day, start, end) -> str:
    return f"{long_date(day)}, de {clock(start)} à {clock(end)}"


def _hours(day, start, end, pause) -> Decimal:
    from datetime import datetime

    minutes = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() / 60
    return (Decimal(max(minutes - (pause or 0), 0)) / 60).quantize(Decimal("0.01"))


def slot_vars(slot) -> dict:
    dates = sorted(slot.dates, key=lambda d: d.day)
    return {
        "place": full_place(slot.location, slot.room),
        "room": slot.room.name if slot.room is not None else "",
        "trainers": ", ".join(str(t) for t in slot.trainers),
        "co_trainer": str(slot.co_trainer) if slot.co_trainer is not None else "",
        "host": " ".join(p for p in (slot.host_name or "", slot.host_email or "") if p),
        "dates": [day_line(d.day, d.start_time, d.end_time) for d in dates],
    }


def sequence_vars(sequence, slots: list) -> dict:
    days = sorted(
        ((d.day, d.start_time, d.end_time, d.break_minutes, slot) for slot in slots for d in slot.dates),
        key=lambda row: (row[0], row[1]),
    )
    lines = [day_line(day, start, end) for day, start, end, _, _ in days]
    first = days[0] if days else None
    places = list(dict.fromkeys(full_place(slot.location, slot.room) for slot in slots if slot.location))
    mode = getattr(sequence, "teaching_mode", None)
    return {
        "label": sequence.label,
        "start_date": short_date(days[0][0] if days else sequence.start_date),
        "end_date": short_date(days[-1][0] if days else sequence.end_date),
        "first_day": long_date(days[0][0] if days else sequence.start_date),
        "last_day": long_date(days[-1][0] if days else sequence.end_date),
        "dates": lines,
        "schedule": "\n".join(f"- {line}" for line in lines),
        "timetable": f"de {clock(first[1])} à {clock(first[2])}" if first else "",
        "hours_per_day": french_number(_hours(*first[:4])) if first else "",
        "place": " ; ".join(places),
        "url": sequence.url or "",
        "teaching_mode": str(mode) if mode is not None else "",
        "is_prework": bool(sequence.is_prework),
    }


#: `sequence` in an e-mail about a session's own survey, which has none.
EMPTY_SEQUENCE = {
    **{name: "" for name in ("label", "start_date", "end_date", "first_day", "last_day", "schedule")},
    **{name: "" for name in ("timetable", "hours_per_day", "place", "url", "teaching_mode")},
    "dates": [],
    "is_prework": False,
}


def session_vars(session) -> dict:
    return {
        "code": session.code,
        "label": session.label,
        "formation": session.training.name if session.training is not None else "",
        "type": session.session_type.value.upper() if session.session_type else "",
        "organisation": session.organisation.name if session.organisation is not None else "",
        "start_date": short_date(session.start_date),
        "end_date": short_date(session.end_date),
        "first_day": long_date(session.start_date),
        "last_day": long_date(session.end_date),
        "duration_days": french_number(session.duration_days),
        "duration_hours": french_number(session.duration_hours),
    }


def person_vars(person=None) -> dict:
    if person is None:
        return {"first_name": "", "last_name": "", "email": ""}
    return {"first_name": person.first_name, "last_name": person.last_name, "email": person.email.lower()}


def _joined(texts) -> str:
    return "\n".join(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def comment_vars(kind: EmailKind, session, slots: list) -> dict:
    values = {
        "convocation_comment": _joined([session.convocation_comment]),
        "organisation_comment": _joined(
            [session.organisation_comment, *(s.organisation_comment for s in slots)]
        ),
        "location_comment": _joined(s.location_comment for s in slots),
        "trainer_comment": _joined(s.trainer_comment for s in slots),
    }
    return {name: values[name] for name in COMMENTS_BY_KIND.get(kind, ())}


@dataclass
class SessionVariables:
    """What every message of one session shares, computed once per session."""

    session: dict
    sequences: list[dict]
    planning: str
    participants: list[dict]  # with their e-mail addresses

    @property
    def participant_names(self) -> list[dict]:
        return [{**person, "email": ""} for person in self.participants]


def session_variables(
    session, sequences: list, slots_by_sequence: dict, participants: list
) -> SessionVariables:
    """`sequences` in order, `slots_by_sequence` {sequence id: slots}, `participants` collaborators."""
    seq_vars = [sequence_vars(s, slots_by_sequence.get(s.id, [])) for s in sequences]
    planning_lines = [f"- {line} — {values['label']}" for values in seq_vars for line in values["dates"]]
    return SessionVariables(
        session=session_vars(session),
        sequences=seq_vars,
        planning="\n".join(planning_lines),
        participants=[person_vars(p) for p in participants],
    )


def context_for(
    kind: EmailKind,
    anchor: EmailAnchor,
    shared: SessionVariables,
    session,
    *,
    sequence=None,
    slots: list | None = None,
    participant=None,
    recipient_email: str = "",
    recipient_name: str = "",
    with_addresses: bool = False,
    demande: dict | None = None,
    survey_url: str = "",
    signin: dict | None = None,
) -> dict:
    """The variables of one message; `slots` are the sequence's (or the whole session's for the
    e-mails that are not sent per sequence), used for the comments. `with_addresses`: the message
    goes to someone who may read the participants' e-mail addresses."""
    slots = slots or []
    context = {
        "session": shared.session,
        "sequences": shared.sequences,
        "planning": shared.planning,
        "participant": person_vars(participant),
        "participants": shared.participants if with_addresses else shared.participant_names,
        "recipient": {"email": recipient_email, "name": recipient_name},
        "comments": comment_vars(kind, session, slots),
    }
    if anchor == EmailAnchor.REQUEST:
        context["demande"] = {field: "" for field in DEMANDE_FIELDS} | (demande or {})
    if kind in SURVEY_URL_KINDS:
        context["survey_url"] = survey_url
    if anchor == EmailAnchor.SIGNIN_DAY:
        context["sequence"] = sequence_vars(sequence, slots) if sequence is not None else EMPTY_SEQUENCE
        context["signin_day"] = (signin or {}).get("day", "")
        context["signin"] = (signin or {}).get("half_days", [])
    if anchor == EmailAnchor.SURVEY:  # (a session's own survey has no sequence: empty texts)
        context["sequence"] = sequence_vars(sequence, slots) if sequence is not None else EMPTY_SEQUENCE
    if anchor in SEQUENCE_ANCHORS:
        context["sequence"] = sequence_vars(sequence, slots)
        context["slots"] = [slot_vars(slot) for slot in slots]
    return context
