"""JSON feeds: a list of sessions (or an object with a « sessions » list), each holding its
sequences, slots and dates; every problem is placed by its JSON path."""

from __future__ import annotations

import json

from flask_babel import gettext

from .feed_items import FeedDate, FeedError, FeedSequence, FeedSession, FeedSlot, feed_digest
from .feed_text import FeedText
from .feed_values import (
    check_reference,
    clean,
    parse_bool,
    parse_break,
    parse_day,
    parse_time,
    session_values,
    slot_values,
)


def parse_json(feed: FeedText, known: dict[str, str] | None = None) -> list[FeedSession]:
    """The sessions of a JSON feed; one whose object has the digest in `known` of its reference is
    returned as `known`, unread (see `parse_csv`)."""
    try:
        document = json.loads(feed.text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            gettext(
                "The file is not valid JSON (line %(line)s, column %(column)s; file read as %(encoding)s).",
                line=exc.lineno,
                column=exc.colno,
                encoding=feed.encoding,
            )
        ) from None
    root = "$"
    if isinstance(document, dict) and "sessions" in document:
        document, root = document["sessions"], "$.sessions"
    if not isinstance(document, list):
        raise FeedError(
            gettext("The JSON file must hold a list of sessions, or an object with a « sessions » list.")
        )
    known = known or {}
    sessions = []
    for index, item in enumerate(document):
        path = f"{root}[{index}]"
        digest = feed_digest("json-1", [json.dumps(item, sort_keys=True, ensure_ascii=False)])
        reference = clean(item.get("reference")) if isinstance(item, dict) else ""
        if reference and known.get(reference) == digest:
            sessions.append(FeedSession(where=path, reference=reference, digest=digest, known=True))
        else:
            sessions.append(_json_session(item, path))
            sessions[-1].digest = digest
    return sessions


def _object(value, path: str, errors: list) -> dict:
    if isinstance(value, dict):
        return value
    errors.append((path, gettext("An object { … } is expected here.")))
    return {}


def _list(value, path: str, errors: list) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    errors.append((path, gettext("A list [ … ] is expected here.")))
    return []


def _json_session(item, path: str) -> FeedSession:
    errors: list[tuple[str, str]] = []
    raw = _object(item, path, errors)
    reference = clean(raw.get("reference"))
    session = FeedSession(where=path, reference=reference, errors=errors)
    check_reference(reference, errors, f"{path}.reference")
    session.values = session_values(raw, set(raw), errors, lambda name: f"{path}.{name}")
    for s_index, s_item in enumerate(_list(raw.get("sequences"), f"{path}.sequences", errors)):
        s_path = f"{path}.sequences[{s_index}]"
        s_raw = _object(s_item, s_path, errors)
        label = clean(s_raw.get("label"))
        if not label:
            errors.append((f"{s_path}.label", gettext("Enter the sequence's label.")))
        sequence = FeedSequence(where=s_path, label=label)
        if "teaching_mode" in s_raw:
            sequence.values["teaching_mode"] = clean(s_raw.get("teaching_mode")) or None
        sequence.values["prework"] = parse_bool(s_raw.get("prework"), errors, f"{s_path}.prework", "prework")
        for t_index, t_item in enumerate(_list(s_raw.get("slots"), f"{s_path}.slots", errors)):
            t_path = f"{s_path}.slots[{t_index}]"
            t_raw = _object(t_item, t_path, errors)
            slot = FeedSlot(where=t_path, key=str(t_index), values=slot_values(t_raw, set(t_raw)))
            for d_index, d_item in enumerate(_list(t_raw.get("dates"), f"{t_path}.dates", errors)):
                d_path = f"{t_path}.dates[{d_index}]"
                d_raw = _object(d_item, d_path, errors)
                slot.dates.append(
                    FeedDate(
                        where=d_path,
                        day=parse_day(d_raw.get("date"), errors, f"{d_path}.date"),
                        start=parse_time(
                            d_raw.get("start_time"),
                            errors,
                            f"{d_path}.start_time",
                            gettext("Enter the start time."),
                        ),
                        end=parse_time(
                            d_raw.get("end_time"),
                            errors,
                            f"{d_path}.end_time",
                            gettext("Enter the end time."),
                        ),
                        break_minutes=parse_break(
                            d_raw.get("break_minutes"), errors, f"{d_path}.break_minutes"
                        ),
                    )
                )
            sequence.slots.append(slot)
        session.sequences.append(sequence)
    return session
