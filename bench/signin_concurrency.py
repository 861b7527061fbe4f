"""A training room signing at once: participants post their signatures together to gunicorn on
PostgreSQL, each one twice (a double tap), and every signature is kept exactly once.

Usage (needs `pip install -e '.[prod]'` for gunicorn):

    python bench/signin_concurrency.py postgresql://postgres@127.0.0.1/trainadmin_bench_signin \
        [--participants 30] [--workers 4] [--rounds 3]

Each round starts from an empty database (the app's own migrations), enrols the participants in a
session with one date today covering the whole day, issues their own sign-in links (SIGN_IN), starts
gunicorn on a free loopback port, lets every participant open their link (the page and its form),
then releases them together: each posts their signature twice at the same moment. Targets: every
participant's first accepted post answered within 10 s of the release, exactly one signature per
participant in the database, every other post refused (« Vous avez déjà signé »), no error. The
whole room comes from 127.0.0.1, so the link limits are raised for the run (TRAINADMIN_LINK_LIMIT).
"""

from __future__ import annotations

import argparse
import base64
import http.cookiejar
import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from PIL import Image, ImageDraw

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    Collaborator,
    HalfDay,
    RequestStatus,
    Sequence,
    SessionType,
    Signature,
    Slot,
    SlotDate,
    Training,
    TrainingRequest,
    TrainingSession,
)
from trainadmin.services.participants import signin_links_for
from trainadmin.services.sessions.codes import assign_code

from _common import ensure_database, fresh_schema

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signature_data_url(seed: int) -> str:
    image = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(20, 200 - seed % 50), (160, 40), (300, 210), (580, 60 + seed % 70)],
        fill=(16, 32, 107, 255),
        width=6,
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def seed(url: str, base: str, participants: int) -> tuple[list[str], int]:
    """The session, its date of today and the participants' links; returns (links, slot date id)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-signin", "REDIS_URL": ""})
    fresh_schema(app)
    with app.app_context():
        training = Training(name="Sécurité au travail", session_type=SessionType.INTRA)
        session = TrainingSession(
            training=training,
            session_type=SessionType.INTRA,
            year=datetime.now().year,
            label="Sécurité au travail",
        )
        db.session.add(session)
        assign_code(session)
        sequence = Sequence(session=session, label="Jour 1")
        slot = Slot(sequence=sequence)
        today = datetime.now(ZoneInfo(app.config["TRAINADMIN_TZ"])).date()
        slot.dates.append(SlotDate(day=today, start_time=clock_time(0, 0), end_time=clock_time(23, 59)))
        db.session.add(slot)
        for n in range(participants):
            collaborator = Collaborator(
                first_name="Participant",
                last_name=f"{n:03d}",
                email=f"p{n:03d}@example.com",
                manager_email="m@example.com",
            )
            db.session.add(
                TrainingRequest(session=session, collaborator=collaborator, status=RequestStatus.ENROLLED)
            )
        db.session.flush()
        now = datetime.now(ZoneInfo(app.config["TRAINADMIN_TZ"])).time()
        half = HalfDay.MORNING if now < clock_time(12, 30) else HalfDay.AFTERNOON
        with app.test_request_context(base_url=base):
            links = [url for _request, url in signin_links_for(slot.dates[0], half)]
        slot_date_id = slot.dates[0].id
        db.session.commit()
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return links, slot_date_id


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(16),
        "REDIS_URL": "",
        "TRAINADMIN_LINK_LIMIT": "10000/minute",
        "TRAINADMIN_LINK_FAILURE_LIMIT": "10000/hour",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "app:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        stop(process)
        raise SystemExit("gunicorn did not start")
    return process


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Participant:
    def __init__(self, link: str, seed_number: int):
        self.link = link
        self.client = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.drawn = signature_data_url(seed_number)
        self.token = ""
        self.answers: list[tuple[int, float, str]] = []  # (status, seconds after the release, what it said)

    def open(self) -> None:
        with self.client.open(self.link, timeout=60) as response:  # noqa: S310 (loopback only)
            self.token = CSRF.search(response.read().decode()).group(1)

    def post(self, released: float) -> None:
        body = urllib.parse.urlencode({"csrf_token": self.token, "signature": self.drawn}).encode()
        try:
            with self.client.open(self.link, data=body, timeout=60) as response:  # noqa: S310
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as refused:
            status, page = refused.code, refused.read().decode()
        said = (
            "signed"
            if "signature a été enregistrée" in page
            else "already"
            if "déjà signé" in page
            else "other"
        )
        self.answers.append((status, time.perf_counter() - released, said))


def run_round(url: str, participants: int, workers: int) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    links, slot_date_id = seed(url, base, participants)
    process = start_gunicorn(url, port, workers)
    try:
        room = [Participant(link, n) for n, link in enumerate(links)]
        for person in room:
            person.open()
        gate = threading.Barrier(2 * len(room) + 1)
        released = [0.0]

        def tap(person: Participant) -> None:
            gate.wait()
            person.post(released[0])

        threads = [threading.Thread(target=tap, args=(person,)) for person in room for _ in range(2)]
        for thread in threads:
            thread.start()
        released[0] = time.perf_counter()
        gate.wait()
        for thread in threads:
            thread.join(timeout=120)
        wall = time.perf_counter() - released[0]
    finally:
        stop(process)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Signature.request_id, sa.func.count())
            .where(Signature.slot_date_id == slot_date_id)
            .group_by(Signature.request_id)
        ).all()
    engine.dispose()
    answers = [answer for person in room for answer in person.answers]
    signed = [seconds for status, seconds, said in answers if status == 200 and said == "signed"]
    return {
        "wall": wall,
        "signed": len(signed),
        "last_signed": max(signed, default=float("nan")),
        # A second post refused: by the spent link (200, « déjà signé ») or by the signature written
        # a moment before by its twin (409).
        "refused": sum(1 for status, _s, said in answers if status in (200, 409) and said == "already"),
        "errors": sum(1 for status, _s, said in answers if said == "other" or status >= 500),
        "rows": sum(count for _request, count in rows),
        "people_with_one": sum(1 for _request, count in rows if count == 1),
        "statuses": sorted({status for status, _s, _said in answers}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_database(args.database_url)
    print(
        f"\n#### {args.participants} participants, each posting twice at once; gunicorn -w {args.workers}\n"
    )
    print(
        "| round | posts | signed (200) | refused « déjà signé » | errors | rows "
        "| last signed after | all answered after |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    misses = []
    for number in range(1, args.rounds + 1):
        result = run_round(args.database_url, args.participants, args.workers)
        print(
            f"| {number} | {2 * args.participants} | {result['signed']} | {result['refused']} "
            f"| {result['errors']} | {result['rows']} | {result['last_signed']:.2f} s "
            f"| {result['wall']:.2f} s |"
        )
        if result["signed"] != args.participants or result["people_with_one"] != args.participants:
            misses.append(f"round {number}: {result['signed']} signed, {result['rows']} rows")
        if result["rows"] != args.participants or result["errors"] or result["refused"] != args.participants:
            misses.append(f"round {number}: statuses {result['statuses']}, {result['errors']} errors")
        if result["last_signed"] > TARGET_SECONDS:
            misses.append(f"round {number}: last signature after {result['last_signed']:.1f} s")
    print(
        f"\nTargets (every participant signed once within {TARGET_SECONDS:.0f} s, every second post refused, "
        "no error): " + ("MISSED: " + "; ".join(misses) if misses else "met")
    )
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
