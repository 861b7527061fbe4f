"""`{{ survey_url }}` of the hot and cold survey e-mails: each participant's own survey link.

A token is kept only as its hash, so a link cannot be read back to be written again: it is issued
when its message is composed, in the transaction that writes the message to the outbox. A schedule
is composed once per due time (`delivery._prepare` takes it locked, writes its messages and marks it
prepared in one transaction; a rolled-back attempt takes its links with it). When a schedule is
composed again for a due time some of its messages were already written for (« Ne pas envoyer »
then « Replanifier »), those recipients get no new link: the message already sent keeps working.
Only templates that use `survey_url` issue links.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ...extensions import db
from ...models import EmailRule, OutboxMessage, Sequence, SurveyKind
from ..links import survey_links
from .recipients import Recipient
from .render import variables_used
from .rule_texts import RuleText
from .variables import SURVEY_EMAILS

SURVEY_URL = "survey_url"


def survey_urls(
    rule: EmailRule,
    text: RuleText,
    people: list[Recipient],
    sequence: Sequence | None,
    key_for: Callable[[str], str] | None = None,
    survey_kind: SurveyKind | None = None,
) -> dict[int, str]:
    """{demande id: survey link} for the participants among `people`, when the rule's text uses
    `survey_url`. `key_for(address)`: the outbox key of that recipient's message; those already
    written get none."""
    kind = survey_kind or SURVEY_EMAILS.get(rule.kind)
    if kind is None or SURVEY_URL not in variables_used(text.subject) | variables_used(text.body):
        return {}
    participants = {
        person.email: person.request_id
        for person in people
        if person.kind == "participants" and person.request_id is not None
    }
    if key_for is not None and participants:
        keys = {key_for(email): email for email in participants}
        written = sa.select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))
        for key in db.session.scalars(written):
            participants.pop(keys[key], None)
    return survey_links(
        [(request_id, email) for email, request_id in participants.items()],
        kind,
        sequence.id if sequence is not None else None,
    )
