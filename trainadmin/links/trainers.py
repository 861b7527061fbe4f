"""A trainer's pages: `/l/<token>` lists their upcoming slots, `/l/<token>/calendar.ics` is the
calendar feed the page invites them to subscribe to. Both only read."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_babel import format_date

from ..models import AccessLink, LinkPurpose
from ..services.links import MESSAGES, Feed, Refusal, trainer_feed, trainer_page
from ..services.participants.signatures import SigninRefused, open_countersign
from ..transaction import unit_of_work
from .blueprint import link_view

FEED = "calendar.ics"


@link_view(LinkPurpose.TRAINER_PAGE)
def trainer_page_view(link: AccessLink):
    page = trainer_page(link.trainer)
    feed_url = url_for("links.subpage", token=request.view_args["token"], name=FEED, _external=True)
    return render_template(
        "links/trainer_page.html",
        page=page,
        feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[1],
        long_date=long_date,
    )


@link_view(LinkPurpose.TRAINER_PAGE, name="signin", methods=("POST",))
def open_signin_view(link: AccessLink):
    """« Ouvrir l'émargement » of one of the trainer's half-days: its page (QR code, list,
    countersignature) behind a link of its own."""
    try:
        with unit_of_work():
            token = open_countersign(
                link.trainer, request.form.get("slot_date"), request.form.get("half_day")
            )
    except SigninRefused as exc:
        return render_template("links/refused.html", message=exc.message, refusal="signin"), 409
    return redirect(url_for("links.page", token=token), 303)


def long_date(day) -> str:
    """« Lundi 15 mars 2027 »."""
    text = format_date(day, "EEEE d MMMM y")
    return text[:1].upper() + text[1:]


def feed_refused(link: AccessLink, refusal: Refusal):
    """A calendar application reads the answer, not a person: plain text, 410 (the link is gone)."""
    return Response(str(MESSAGES[refusal]), status=410, mimetype="text/plain")


@link_view(LinkPurpose.TRAINER_PAGE, name=FEED, methods=("GET", "HEAD"), refused=feed_refused)
def trainer_feed_view(link: AccessLink):
    return calendar_response(trainer_feed(link.trainer, link.id), request)


def calendar_response(feed: Feed, asked) -> Response:
    """A feed's answer: iCalendar in UTF-8 with the feed's ETag; 304 to a client that has this
    version, without reading the events or writing the text."""
    if asked.if_none_match.contains_weak(feed.etag):  # RFC 9110: a weak comparison
        response = Response(status=304)
        response.set_etag(feed.etag)
        return response
    response = Response(feed.write(), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response.set_etag(feed.etag)
    return response.make_conditional(asked)
