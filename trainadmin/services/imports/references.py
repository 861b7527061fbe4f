"""The names a feed gives for reference data (trainings, locations, rooms, trainers, teaching
methods) turned into ids: read once per run; an unknown one created or refused, as the partner says."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import Location, Room, SessionType, TeachingMode, Trainer, Training, UnknownPolicy

TRAINER_RE = re.compile(r"^(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>$")


class References:
    """Names of the feed → ids, read once per run; unknown ones created or refused per partner."""

    def __init__(self, policy: UnknownPolicy):
        self.create = policy == UnknownPolicy.CREATE
        self.trainings: dict[str, int] = {}
        for training_id, name, reference in db.session.execute(
            sa.select(Training.id, Training.name, Training.reference)
        ):
            self.trainings.setdefault(name.lower(), training_id)
            if reference:
                self.trainings[reference.lower()] = training_id
        self.locations = {
            name.lower(): location_id
            for location_id, name in db.session.execute(sa.select(Location.id, Location.name))
        }
        self.rooms = {
            (location_id, name.lower()): room_id
            for room_id, location_id, name in db.session.execute(
                sa.select(Room.id, Room.location_id, Room.name)
            )
        }
        self.trainers: dict[str, int] = {}
        for trainer_id, first, last, email in db.session.execute(
            sa.select(Trainer.id, Trainer.first_name, Trainer.last_name, Trainer.email)
        ):
            self.trainers.setdefault(f"{first} {last}".lower(), trainer_id)
            self.trainers[email.lower()] = trainer_id
        self.modes = {
            name.lower(): mode_id
            for mode_id, name in db.session.execute(sa.select(TeachingMode.id, TeachingMode.name))
        }
        self._trainer_texts: dict[str, tuple[str, str]] = {}
        self._added: list[tuple[dict, object]] = []
        self.dry = False
        self.unknown = False

    def _unknown_noted(self) -> bool:
        """While only comparing (`dry`), an unknown name to create is noted, not created."""
        if self.dry and self.create:
            self.unknown = True
            return True
        return False

    def forget_added(self) -> None:
        """After a savepoint rolled back: what was created in it is gone."""
        for cache, key in self._added:
            cache.pop(key, None)
        self._added.clear()

    def keep_added(self) -> None:
        self._added.clear()

    def _remember(self, cache: dict, key, value: int) -> int:
        cache[key] = value
        self._added.append((cache, key))
        return value

    def training(self, name: str, problems: list, where: str) -> int | None:
        found = self.trainings.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown training « %(value)s ».", value=name)))
            return None
        training = Training(name=name[:200], session_type=SessionType.INTER)
        db.session.add(training)
        db.session.flush()
        return self._remember(self.trainings, name.lower(), training.id)

    def location(self, name: str, problems: list, where: str) -> int | None:
        found = self.locations.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown location « %(value)s ».", value=name)))
            return None
        location = Location(name=name[:200])
        db.session.add(location)
        db.session.flush()
        return self._remember(self.locations, name.lower(), location.id)

    def room(self, location_id: int, location: str, name: str, problems: list, where: str) -> int | None:
        found = self.rooms.get((location_id, name.lower()))
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append(
                (
                    where,
                    gettext("Unknown room « %(room)s » in « %(location)s ».", room=name, location=location),
                )
            )
            return None
        room = Room(location_id=location_id, name=name[:120])
        db.session.add(room)
        db.session.flush()
        return self._remember(self.rooms, (location_id, name.lower()), room.id)

    def trainer(self, text: str, problems: list, where: str) -> int | None:
        parts = self._trainer_texts.get(text)
        if parts is None:  # a feed names the same trainers on many lines: each text read once
            match = TRAINER_RE.match(text)
            name, email = (match.group("name").strip(), match.group("email").strip()) if match else (text, "")
            if not email and "@" in name and " " not in name:
                name, email = "", name
            parts = self._trainer_texts[text] = (name, email)
        name, email = parts
        found = self.trainers.get(email.lower()) if email else self.trainers.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown trainer « %(value)s ».", value=text)))
            return None
        if not email:
            problems.append(
                (
                    where,
                    gettext(
                        "Unknown trainer « %(value)s »: give their e-mail address to create them.", value=text
                    ),
                )
            )
            return None
        first, _, last = (name or email.split("@")[0].replace(".", " ").title()).partition(" ")
        trainer = Trainer(first_name=first[:80] or email[:80], last_name=last[:80] or "-", email=email[:254])
        db.session.add(trainer)
        db.session.flush()
        if name:
            self._remember(self.trainers, name.lower(), trainer.id)
        return self._remember(self.trainers, email.lower(), trainer.id)

    def mode(self, name: str, problems: list, where: str) -> int | None:
        found = self.modes.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown teaching method « %(value)s ».", value=name)))
            return None
        mode = TeachingMode(name=name[:200])
        db.session.add(mode)
        db.session.flush()
        return self._remember(self.modes, name.lower(), mode.id)
