"""Partner import: feeds read (CSV or JSON; upload, server path or https address), each session
matched by (partner, reference) and created or updated through the same rules as the back office,
runs queued on the partner's schedule and resumed after a crash."""

from __future__ import annotations

from .creation import BulkCreator
from .feeds import FeedError, parse, read_limited
from .partners import partner_source_errors
from .runs import BATCH_SIZE, STALE_AFTER, is_stale, perform_run, queue_due_runs, queue_run, rerun

__all__ = [
    "BATCH_SIZE",
    "BulkCreator",
    "FeedError",
    "STALE_AFTER",
    "is_stale",
    "parse",
    "partner_source_errors",
    "perform_run",
    "queue_due_runs",
    "queue_run",
    "read_limited",
    "rerun",
]
