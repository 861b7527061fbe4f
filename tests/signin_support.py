"""What the sign-in tests share: a half-day with its trainer and participants, a clock they set, and
signatures drawn as a browser's pad sends them (a PNG data URL)."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from trainadmin.models import HalfDay, SlotDate, Trainer, TrainingRequest, TrainingSession
from trainadmin.services.participants import signatures

from . import factories

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2027, 3, 15)
AM, PM = HalfDay.MORNING, HalfDay.AFTERNOON


class Clock:
    """The sign-in's clock, set by the test (the signatures module reads `now()`)."""

    def __init__(self, at: datetime):
        self.at = at

    def set(self, hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
        self.at = datetime.combine(day, time(hour, minute, second), PARIS).astimezone(UTC)
        return self.at

    def advance(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at

    def __call__(self) -> datetime:
        return self.at


def set_clock(monkeypatch, hour: int = 10, minute: int = 0) -> Clock:
    clock = Clock(datetime.now(UTC))
    clock.set(hour, minute)
    monkeypatch.setattr(signatures, "now", clock)
    return clock


@dataclass
class HalfDayFixture:
    session: TrainingSession
    slot_date: SlotDate
    trainer: Trainer
    ana: TrainingRequest
    ben: TrainingRequest


def make_half_day(day: date = DAY, domain: str = "example.com") -> HalfDayFixture:
    """A session with one slot date, 09:00–17:00, one trainer and two enrolled participants
    (ana@<domain> and ben@<domain>)."""
    trainer = factories.make_trainer(first_name="Claire", last_name="Formatrice")
    session = factories.make_session(label="Sécurité au travail")
    slot = factories.make_slot(factories.make_sequence(session), days=[day])
    slot.trainers.append(trainer)
    ana = factories.enrol(
        session, factories.make_collaborator(first_name="Ana", last_name="Alves", email=f"ana@{domain}")
    )
    ben = factories.enrol(
        session, factories.make_collaborator(first_name="Ben", last_name="Bernard", email=f"ben@{domain}")
    )
    factories.db.session.flush()
    return HalfDayFixture(session, slot.dates[0], trainer, ana, ben)


def signature_png(seed: int = 0, size: tuple[int, int] = (300, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(10, 90 - seed), (80, 20), (150, 100), (290, 30 + seed)], fill=(16, 32, 107, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def signature(seed: int = 0) -> str:
    return data_url(signature_png(seed))


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has a form"
    return found.group(1)
