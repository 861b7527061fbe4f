"""The participants' survey links: one per participant and survey — the session's evaluation, or a
sequence's hot or cold survey — answered once, working `SURVEY_LINK_DAYS` days.

A new link for the same participant and survey replaces the one not used yet (the last e-mail
received is the one that works, as for every link: `tokens.issue`). The survey e-mails issue them
when they are composed, once per message written (`notifications.survey_urls`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import AccessLink, LinkPurpose, SurveyKind
from ...models.types import utcnow
from .. import tallies
from .tokens import TOKEN_BYTES, token_hash
from .urls import link_url

#: How long a survey link works: time enough for the reminders, after which the results are read.
SURVEY_LINK_DAYS = 60


def survey_links(
    participants: Iterable[tuple[int, str]],
    kind: SurveyKind | str,
    sequence_id: int | None = None,
    *,
    now: datetime | None = None,
) -> dict[int, str]:
    """{demande id: address of its new link} for each (demande id, e-mail address) given; the
    earlier links of each for this survey that were not used stop working. Two statements, whatever
    the number of participants."""
    chosen = dict(participants)
    if not chosen:
        return {}
    now = now or utcnow()
    kind = SurveyKind(kind)
    table = AccessLink.__table__
    db.session.execute(
        table.update()
        .where(
            table.c.purpose == LinkPurpose.SURVEY,
            table.c.request_id.in_(list(chosen)),
            table.c.survey_kind == kind,
            table.c.sequence_id.is_(None) if sequence_id is None else table.c.sequence_id == sequence_id,
            table.c.used_at.is_(None),
            table.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    rows, urls = [], {}
    for request_id, email in chosen.items():
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append(
            {
                "purpose": LinkPurpose.SURVEY,
                "token_hash": token_hash(token),
                "recipient": email,
                "request_id": request_id,
                "sequence_id": sequence_id,
                "survey_kind": kind,
                "created_at": now,
                "expires_at": now + timedelta(days=SURVEY_LINK_DAYS),
            }
        )
        urls[request_id] = link_url(token)
    db.session.execute(sa.insert(table), rows)
    tallies.recount_surveys_of_requests(list(chosen))
    return urls


def survey_link(request, kind: SurveyKind | str, sequence=None, *, now: datetime | None = None) -> str:
    """The address of a new survey link for this demande's participant (`sequence`: for that
    sequence's hot or cold survey); the earlier one not used yet stops working."""
    urls = survey_links(
        [(request.id, request.collaborator.email)],
        kind,
        sequence.id if sequence is not None else None,
        now=now,
    )
    return urls[request.id]
