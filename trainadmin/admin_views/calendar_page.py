"""« Planning »: every slot date on a month, week or day calendar (FullCalendar, fed by
`events_view` for the range it shows), and the room and trainer tables (`resources_view`). A date
dragged to another day or hour is moved by `services.planning.move_slot_date`, which saves the slot
through the planning editor's own service; a viewer reads, and the move is refused to them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_admin import expose
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user

from ..clock import local_today
from ..extensions import db
from ..ids import parse_id
from ..models import Location, Publication, Room, Trainer, Training, WorkflowStatus
from ..services.errors import DomainError, ValidationFailed
from ..services.planning import move_slot_date
from ..services.planning.bookings import MAX_RANGE_DAYS, Booking, BookingFilters, find_bookings
from ..services.planning.occupation import ROOMS, TRAINERS, USUAL_DAY_HOURS, resource_grid
from ..services.sessions import UNLOCKED_ROLES, SessionLocked
from ..transaction import commits
from .base import ALL_ROLES, STAFF, SecureView, current_role
from .labels import enum_label

DRAFT, CANCELLED, PARTICIPANTS, ROOM_CLASH, TRAINER_CLASH = 1, 2, 4, 8, 16
FILTER_IDS = ("location", "room", "trainer", "training")
MIN_YEAR, MAX_YEAR = 1900, 2999
MAX_PER_DAY = 1000
#: The dates a day each view asks for (FullCalendar's view names): a month grid shows a few and
#: « +N autres », a day shows them all but the most crowded.
PER_DAY = {"dayGridMonth": 4, "timeGridWeek": 40, "timeGridDay": 400, "listWeek": 40}


def visible_range(view: str, day: date) -> tuple[date, date]:
    """The days FullCalendar shows for a view around `day` (weeks from Monday, a month in six)."""
    if view == "timeGridDay":
        return day, day + timedelta(days=1)
    if view == "dayGridMonth":
        first = day.replace(day=1)
        start = first - timedelta(days=first.weekday())
        return start, start + timedelta(days=42)
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


class BadRequest(ValidationFailed):
    """A parameter the calendar cannot read: answered 400 with its message."""


def read_filters(args) -> BookingFilters:
    errors: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for name in FILTER_IDS:
        text = (args.get(name) or "").strip()
        ids[name] = parse_id(text) if text else None
        if text and ids[name] is None:
            errors[name] = gettext("Choose a value in the list.")
    status = _enum(WorkflowStatus, args.get("status"), "status", errors)
    publication = _enum(Publication, args.get("publication"), "publication", errors)
    if errors:
        raise BadRequest(errors)
    return BookingFilters(
        location_id=ids["location"],
        room_id=ids["room"],
        trainer_id=ids["trainer"],
        training_id=ids["training"],
        status=status,
        publication=publication,
        show_cancelled=args.get("cancelled") == "1",
    )


def _enum(enum_cls, text: str | None, name: str, errors: dict):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return enum_cls(text)
    except ValueError:
        errors[name] = gettext("Choose a value in the list.")
        return None


def read_day(text: str | None, name: str) -> date:
    """A day as FullCalendar sends it (2027-03-01 or 2027-03-01T00:00:00Z) or as a form gives it."""
    text = text.strip() if isinstance(text, str) else ""
    try:
        day = datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadRequest({name: gettext("Enter a date such as 2027-03-01.")})
    return day


def read_range(args) -> tuple[date, date]:
    first, last = read_day(args.get("start"), "start"), read_day(args.get("end"), "end")
    if last <= first:
        raise BadRequest({"end": gettext("The end of the range must come after its start.")})
    if (last - first).days > MAX_RANGE_DAYS:
        raise BadRequest({"end": gettext("Ask for at most %(days)s days at a time.", days=MAX_RANGE_DAYS)})
    return first, last


def _text(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest({name: gettext("Enter a text.")})
    return value.strip()[:500] if value is not None else None


def read_time(text, name: str) -> time:
    try:
        return time.fromisoformat(str(text or "").strip())
    except ValueError:
        raise BadRequest({name: gettext("Enter a time such as 09:00.")}) from None


def booking_flags(booking: Booking) -> int:
    return (
        (DRAFT if booking.draft else 0)
        | (CANCELLED if booking.cancelled else 0)
        | (PARTICIPANTS if booking.has_participants else 0)
        | (ROOM_CLASH if booking.room_clash else 0)
        | (TRAINER_CLASH if booking.trainer_clashes else 0)
    )


def events_payload(bookings: list[Booking]) -> dict:
    """Lean: one array per date, the formations' names once."""
    return {
        "fields": [
            "id",
            "day",
            "start",
            "end",
            "session",
            "sequence",
            "code",
            "label",
            "training",
            "status",
            "flags",
            "room",
            "trainers",
            "trainer_clashes",
        ],  # fmt: skip
        "events": [
            [
                b.slot_date_id,
                b.day.isoformat(),
                f"{b.start:%H:%M}",
                f"{b.end:%H:%M}",
                b.session_id,
                b.sequence_id,
                b.code,
                b.label,
                b.training_id,
                b.status.value,
                booking_flags(b),
                f"{b.room} ({b.location})" if b.room else (b.location or ""),
                b.trainers or "",
                b.trainer_clashes or "",
            ]
            for b in bookings
        ],
        "trainings": {b.training_id: b.training for b in bookings},
        "more": _hidden_per_day(bookings),
    }


def _hidden_per_day(bookings: list[Booking]) -> dict[str, int]:
    """The dates each day holds beyond those sent (`per_day`): the calendar says « +N autres »."""
    shown: dict = {}
    for booking in bookings:
        total, count = shown.get(booking.day, (booking.day_total, 0))
        shown[booking.day] = (total, count + 1)
    return {day.isoformat(): total - count for day, (total, count) in shown.items() if total > count}


def read_per_day(args) -> int | None:
    """At most this many dates a day, the first by start (the month view asks for a few)."""
    text = (args.get("per_day") or "").strip()
    if not text:
        return None
    value = parse_id(text)
    if value is None or not 1 <= value <= MAX_PER_DAY:
        raise BadRequest({"per_day": gettext("Enter a number between 1 and %(max)s.", max=MAX_PER_DAY)})
    return value


def bad_request(exc: ValidationFailed):
    return jsonify({"ok": False, "error": exc.message, "errors": exc.errors}), 400


class CalendarView(SecureView):
    read_roles = ALL_ROLES
    write_roles = STAFF
    write_views = frozenset({"move_view"})

    def _choices(self) -> dict:
        """The filters' lists: each a small reference table, read once per page."""
        rooms = db.session.execute(
            sa.select(Room.id, Room.name, Location.name)
            .join(Location, Location.id == Room.location_id)
            .order_by(Location.name, Room.name)
        ).all()
        return {
            "locations": db.session.execute(
                sa.select(Location.id, Location.name).order_by(Location.name)
            ).all(),
            "rooms": [(room_id, f"{name} ({place})") for room_id, name, place in rooms],
            "trainers": [
                (trainer_id, f"{first} {last}")
                for trainer_id, first, last in db.session.execute(
                    sa.select(Trainer.id, Trainer.first_name, Trainer.last_name).order_by(
                        Trainer.last_name, Trainer.first_name
                    )
                )
            ],
            "trainings": db.session.execute(
                sa.select(Training.id, Training.name).order_by(Training.name)
            ).all(),
            "statuses": [(status.value, enum_label(status)) for status in WorkflowStatus],
            "publications": [(publication.value, enum_label(publication)) for publication in Publication],
        }

    def _filter_values(self) -> dict[str, str]:
        names = (*FILTER_IDS, "status", "publication", "cancelled")
        return {name: request.args.get(name, "") for name in names if request.args.get(name)}

    @expose("/")
    def index(self):
        values = self._filter_values()
        try:
            read_filters(request.args)
            errors = {}
        except BadRequest as exc:
            errors, values = exc.errors, {}
        initial = request.args.get("date", "")
        try:
            initial_day = read_day(initial, "date") if initial else local_today()
        except BadRequest:
            initial_day = local_today()
        view = request.args.get("view", "")
        if view not in PER_DAY:
            view = "dayGridMonth"
        # The first range's address, fetched while the scripts load (<link rel="preload">).
        start, end = visible_range(view, initial_day)
        initial_events = {
            "url": url_for(
                ".events_view",
                **values,
                start=start.isoformat(),
                end=end.isoformat(),
                per_day=PER_DAY[view],
            ),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "perDay": PER_DAY[view],
        }
        return self.render(
            "admin/calendar/index.html",
            choices=self._choices(),
            values=values,
            errors=errors,
            initial_day=initial_day.isoformat(),
            initial_view=view,
            initial_events=initial_events,
            per_day=PER_DAY,
            may_write=self.may_write(),
            may_unlock=current_role() in UNLOCKED_ROLES,
            locale=str(get_locale() or "fr"),
            max_days=MAX_RANGE_DAYS,
            session_url=url_for("sessions.details_view", tab="planning"),
        )

    @expose("/events/")
    def events_view(self):
        try:
            first, last = read_range(request.args)
            bookings = find_bookings(first, last, read_filters(request.args), read_per_day(request.args))
        except ValidationFailed as exc:
            return bad_request(exc)
        return jsonify(events_payload(bookings))

    @expose("/resources/")
    def resources_view(self):
        kind = TRAINERS if request.args.get("kind") == TRAINERS else ROOMS
        period = "week" if request.args.get("period") == "week" else "month"
        values = self._filter_values()
        try:
            filters = read_filters(request.args)
            errors = {}
        except BadRequest as exc:
            filters, errors, values = BookingFilters(), exc.errors, {}
        try:
            around = read_day(request.args["date"], "date") if request.args.get("date") else local_today()
        except BadRequest as exc:
            around, errors = local_today(), {**errors, **exc.errors}
        if period == "week":
            first = around - timedelta(days=around.weekday())
            last = first + timedelta(days=7)
        else:
            first = around.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1)
        grid = resource_grid(kind, first, last, filters)
        return self.render(
            "admin/calendar/resources.html",
            grid=grid,
            day_labels={day: format_date(day, "EEE dd/MM") for day in grid.days},
            kind=kind,
            period=period,
            first=first,
            last=last - timedelta(days=1),
            previous_day=(first - timedelta(days=1)).isoformat(),
            next_day=last.isoformat(),
            choices=self._choices(),
            values=values,
            errors=errors,
            usual_day_hours=USUAL_DAY_HOURS,
            session_url=url_for("sessions.details_view", tab="planning"),
            room_clash=ROOM_CLASH,
        )

    @expose("/move/", methods=("POST",))
    @commits(refused="_move_refused")
    def move_view(self):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest({"_form": gettext("Send the move as JSON.")})
        slot_date_id = parse_id(data.get("slot_date"))
        if slot_date_id is None:
            raise BadRequest({"slot_date": gettext("Choose a value in the list.")})
        day = read_day(data.get("day"), "day")
        start, end = read_time(data.get("start"), "start"), read_time(data.get("end"), "end")
        result = move_slot_date(
            slot_date_id,
            day,
            start,
            end,
            current_user,
            reason=_text(data, "change_reason"),
            notify=not data.get("no_calendar_update"),
            override_reason=_text(data, "override_reason"),
        )
        message = gettext(
            "Slot moved to %(day)s, %(start)s–%(end)s.",
            day=day.strftime("%d/%m/%Y"),
            start=f"{start:%H:%M}",
            end=f"{end:%H:%M}",
        )
        return jsonify({"ok": True, "message": message, "warnings": list(result.warnings)})

    def _move_refused(self, exc: DomainError):
        if isinstance(exc, BadRequest):
            return bad_request(exc)
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "_form": exc.message}
        status = 403 if isinstance(exc, SessionLocked) else 422
        may_override = current_role() in UNLOCKED_ROLES and "room" in errors
        return jsonify(
            {
                "ok": False,
                "error": " ".join(str(message) for message in errors.values()),
                "errors": {key: str(message) for key, message in errors.items()},
                "need_reason": "change_reason" in errors,
                "may_override": may_override,
            }
        ), status
