"""`/l/<token>/calendar.ics` of the training staff's calendar feeds (a room's, a place's, a
trainer's, a user's own sessions): read-only, for calendar applications; a replaced or revoked
link answers 410 in plain text, as the trainer's feed does."""

from __future__ import annotations

from flask import Response, request

from ..models import AccessLink, LinkPurpose
from ..services.links import FEED_PAGE, LinkRefused, staff_feed
from .blueprint import link_view
from .trainers import calendar_response, feed_refused


@link_view(LinkPurpose.CALENDAR_FEED, name=FEED_PAGE, methods=("GET", "HEAD"), refused=feed_refused)
def calendar_feed_view(link: AccessLink) -> Response:
    try:
        feed = staff_feed(link)
    except LinkRefused as exc:  # a deactivated user's own feed
        return feed_refused(link, exc.refusal)
    return calendar_response(feed, request)
