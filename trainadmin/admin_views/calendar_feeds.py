"""The staff's calendar feeds in the back office: on a trainer's page, on a place's page (the place
and one line per room), and « Mon calendrier » (the user's own sessions). « Nouveau lien » makes a
new secret address (the previous one stops working) and shows it once, to whoever asked;
« Révoquer » ends it without a new one. Both are POSTs, refused (403) to the roles that may not
write: a feed address opens the planning without a login, so making one is a write."""

from __future__ import annotations

from flask import abort, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from ..ids import parse_id
from ..models import Location
from ..services.links import (
    FEED_PAGE,
    FeedOf,
    FeedSubject,
    current_feed_link,
    current_feed_links,
    link_url,
    new_feed_link,
    revoke_feed_link,
)
from ..transaction import commits
from .base import ALL_ROLES, STAFF, SecureView

#: The session key of the address made by the last « Nouveau lien », shown on the next page only.
SHOWN = "calendar_feed_shown"
FEED_WRITE_VIEWS = frozenset({"feed_new_view", "feed_revoke_view"})


def webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]


def make_link(subject: FeedSubject) -> None:
    """« Nouveau lien »: the address is kept for the next page (the only time it can be read)."""
    replaced = current_feed_link(subject) is not None
    _link, token = new_feed_link(subject, current_user.email)
    session[SHOWN] = {"of": subject.of.value, "id": subject.id, "url": link_url(token, FEED_PAGE)}
    flash(gettext("New calendar link: copy its address now, it will not be shown again."), "success")
    if replaced:
        flash(gettext("The previous link no longer works."), "info")


def revoke_link(subject: FeedSubject) -> None:
    if revoke_feed_link(subject):
        flash(gettext("Calendar link revoked: its address no longer works."), "success")
    else:
        flash(gettext("There was no link to revoke."), "info")


def feed_box(subject: FeedSubject, link, shown: dict | None) -> dict:
    """What the template shows of one feed: its live link (when it was made) and, right after
    « Nouveau lien », its addresses."""
    url = None
    if shown and shown.get("of") == subject.of.value and shown.get("id") == subject.id:
        url = shown.get("url")
    return {
        "subject": subject,
        "link": link,
        "url": url,
        "webcal": webcal(url) if url else None,
        "key": f"{subject.of.value}-{subject.id}",
    }


class CalendarFeedMixin:
    """Mixed into a SecureModelView (trainers, places): its page shows and manages the feeds."""

    feed_of: FeedOf

    @expose("/feed/new/", methods=("POST",))
    @commits
    def feed_new_view(self):
        subject = self._feed_subject()
        make_link(subject)
        return self._back_to_details()

    @expose("/feed/revoke/", methods=("POST",))
    @commits
    def feed_revoke_view(self):
        subject = self._feed_subject()
        revoke_link(subject)
        return self._back_to_details()

    def _feed_subject(self) -> FeedSubject:
        model = self.get_one(request.args.get("id", ""))
        if model is None:
            abort(404)
        room = request.args.get("room")
        if room is None or not isinstance(model, Location):
            return FeedSubject(self.feed_of, model.id)
        room_id = parse_id(room)
        if room_id not in {r.id for r in model.rooms}:
            abort(404)
        return FeedSubject(FeedOf.ROOM, room_id)

    def _back_to_details(self):
        return redirect(self.get_url(".details_view", id=request.args.get("id", "")) + "#calendar-feeds")

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs["feeds"] = self._feed_boxes(model, session.pop(SHOWN, None))
        return super().render(template, **kwargs)

    def _feed_boxes(self, model, shown) -> list[dict]:
        subject = FeedSubject(self.feed_of, model.id)
        boxes = [feed_box(subject, current_feed_link(subject), shown)]
        if isinstance(model, Location):
            by_room = current_feed_links(FeedOf.ROOM, [room.id for room in model.rooms])
            for room in model.rooms:
                box = feed_box(FeedSubject(FeedOf.ROOM, room.id), by_room.get(room.id), shown)
                boxes.append({**box, "room": room})
        return boxes


class MyCalendarView(SecureView):
    """« Mon calendrier » (user menu): the feed of the user's own sessions. A reader may not make
    one (a secret address is a write: they see the page and why)."""

    read_roles = ALL_ROLES
    write_roles = STAFF
    write_views = frozenset({"new_view", "revoke_view"})

    def is_visible(self) -> bool:
        return False  # in the user menu, not the main one

    def _subject(self) -> FeedSubject:
        return FeedSubject(FeedOf.USER, current_user.id)

    @expose("/")
    def index(self):
        subject = self._subject()
        box = feed_box(subject, current_feed_link(subject), session.pop(SHOWN, None))
        return self.render("admin/my_calendar.html", feed=box)

    @expose("/new/", methods=("POST",))
    @commits
    def new_view(self):
        make_link(self._subject())
        return redirect(url_for(".index"))

    @expose("/revoke/", methods=("POST",))
    @commits
    def revoke_view(self):
        revoke_link(self._subject())
        return redirect(url_for(".index"))
