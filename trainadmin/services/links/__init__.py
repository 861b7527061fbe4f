"""Links for the people who never log in: tokens bound to a purpose, a person and an object.

- tokens.py        issuing, finding, spending and revoking the links
- trainers.py      a trainer's page: their upcoming slots, participants and half-days; its link
- feeds.py         the calendar feeds' builder (iCalendar, to subscribe to), for any selection of dates:
                   their window, ETag and events
- feed_ics.py      the feeds' iCalendar text
- trainer_feed.py  the trainer's own calendar feed (from their page)
- calendar_feeds.py the staff's feeds: a room's, a place's, a trainer's, a user's own sessions"""

from .surveys import SURVEY_LINK_DAYS, survey_link, survey_links
from .tokens import (
    MESSAGES,
    TOKEN_BYTES,
    TOKEN_SHAPE,
    LinkRefused,
    Refusal,
    find,
    issue,
    live_links,
    revoke_links,
    token_hash,
    use,
)
from .trainer_feed import feed_events, feed_text, trainer_feed
from .trainers import (
    TrainerDay,
    TrainerPage,
    current_trainer_link,
    issue_trainer_link,
    participant_names,
    trainer_page,
    trainer_page_url,
    upcoming_days,
    upcoming_half_days,
)
from .urls import link_url

# isort: split
# (after the survey links: the feeds read `notifications`, which e-mails them)
from .calendar_feeds import (
    FEED_PAGE,
    FeedOf,
    FeedSubject,
    current_feed_link,
    current_feed_links,
    new_feed_link,
    revoke_feed_link,
    staff_feed,
    staff_feed_events,
    staff_feed_text,
)
from .feeds import Feed

__all__ = [
    "Feed",
    "FEED_PAGE",
    "FeedOf",
    "FeedSubject",
    "current_feed_link",
    "current_feed_links",
    "new_feed_link",
    "revoke_feed_link",
    "staff_feed",
    "staff_feed_events",
    "staff_feed_text",
    "MESSAGES",
    "SURVEY_LINK_DAYS",
    "TOKEN_BYTES",
    "TOKEN_SHAPE",
    "LinkRefused",
    "Refusal",
    "TrainerDay",
    "TrainerPage",
    "current_trainer_link",
    "feed_events",
    "feed_text",
    "trainer_feed",
    "find",
    "issue",
    "issue_trainer_link",
    "link_url",
    "live_links",
    "participant_names",
    "revoke_links",
    "survey_link",
    "survey_links",
    "token_hash",
    "trainer_page",
    "trainer_page_url",
    "upcoming_days",
    "upcoming_half_days",
    "use",
]
