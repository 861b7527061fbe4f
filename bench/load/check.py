"""After the load test: no lost update. Every save answered as accepted is in the database, and no
two accepted saves were based on the same version of a session (one would have silently overwritten
the other). Every refused save was told (the locustfile counts a refusal only with the message).

Usage: python bench/load/check.py --database-url URL --saves saves.json --sessions sessions.json"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--saves", required=True)
    parser.add_argument("--sessions", required=True)
    args = parser.parse_args()
    with open(args.saves) as file:
        saves = json.load(file)
    with open(args.sessions) as file:
        initial = {int(k): v for k, v in json.load(file)["versions"].items()}
    url = make_url(args.database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    accepted = defaultdict(list)
    unanswered = {save["label"]: save for save in saves if save["outcome"] == "sent"}
    for save in saves:
        if save["outcome"] == "accepted":
            accepted[save["session"]].append(save)
    outcomes = Counter(save["outcome"] for save in saves)
    problems = []
    with engine.connect() as connection:
        rows = {
            row.id: row
            for row in connection.execute(
                sa.text("SELECT id, label, version FROM training_session WHERE id = ANY(:ids)"),
                {"ids": list(accepted) or [0]},
            )
        }
        history = Counter(
            row.session_id
            for row in connection.execute(
                sa.text("SELECT session_id FROM session_history WHERE session_id = ANY(:ids)"),
                {"ids": list(accepted) or [0]},
            )
        )
    for session_id, items in accepted.items():
        bases = Counter(item["base"] for item in items)
        twice = [base for base, n in bases.items() if n > 1]
        if twice:
            problems.append(f"session {session_id}: two accepted saves from version(s) {twice}")
        last = max(items, key=lambda item: item["base"])
        row = rows[session_id]
        late = unanswered.get(row.label)
        if late is not None and late["session"] == session_id and late["base"] > last["base"]:
            pass  # a later save the server committed after the users had stopped listening
        elif row.label != last["label"]:
            problems.append(
                f"session {session_id}: label {row.label!r}, last accepted save {last['label']!r}"
            )
        if row.version <= last["base"]:
            problems.append(f"session {session_id}: version {row.version} not after {last['base']}")
        if row.version - initial.get(session_id, 0) < len(items):
            problems.append(f"session {session_id}: {len(items)} accepted saves, version moved by less")
    print(
        f"saves: {len(saves)} — accepted {outcomes['accepted']}, refused and told {outcomes['refused']}, "
        f"errors {outcomes['error']}, unanswered at the stop {outcomes['sent']}; "
        f"sessions saved: {len(accepted)}; history rows on them: {sum(history.values())}"
    )
    if outcomes["error"]:
        problems.append(f"{outcomes['error']} save(s) answered neither accepted nor refused")
    if problems:
        print("LOST UPDATES:\n  " + "\n  ".join(problems))
        return 1
    print("no lost update: every accepted save is in the database, none overwrote another")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
