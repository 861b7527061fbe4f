"""Time the session list page (/admin/sessions/) of seeded databases, as a logged-in administrator.

Usage:
    .venv/bin/python bench/session_list.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench \
        [--runs 30] [--label "100,000 sessions"] [--json results.json] [--sql] [--only search]
    .venv/bin/python bench/session_list.py --database-url URL_1K --label "1,000 sessions" \
        --database-url URL_100K --label "100,000 sessions"      # both, interleaved, with the ratio
    .venv/bin/python bench/session_list.py --compare before.json after.json

Seed first with bench/seed_sessions.py. Each case gets 3 warm-up requests, then --runs timed GETs
through the Flask test client (no network, no server: the app's own time, SQL included). Cases
and databases take turns, request by request, so a burst of load elsewhere on the machine hits
them all alike. A table per database gives the median and p95 of the request time, the SQL
statements per request (counted on the engine) and the median time spent in them; --sql prints
each case's statements with their time. With several databases (or --compare on saved runs) a
last table gives each case's ratio to the first run and checks the issue's targets: at most 1.5x,
a median under 150 ms, the same statement count on every list page whatever its size. Cases named
"extra: ..." go beyond the issue's list: their times are shown, only their statement count is held.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from html import unescape
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import TrainingSession

from _common import WARM_UP, StatementTimer, ensure_admin, get, logged_in_client, nearest_rank

LIST_URL = "/admin/sessions/"
MAX_RATIO = 1.5
MAX_MEDIAN_MS = 150.0
#: Cases beyond the issue's list: their times are reported, not held to the targets; their SQL
#: counts are (every list page must run the same statements whatever its size).
EXTRA = "extra: "
SELECT_LIST_RE = re.compile(r"(.*?SELECT )(.*?)( FROM )")
ROW_RE = re.compile(r'<input[^>]*class="[^"]*action-checkbox')


@dataclass
class CaseResult:
    name: str
    url: str
    median_ms: float
    p95_ms: float
    statements: int
    sql_ms: float
    rows: int
    statement_counts: list[int] = field(default_factory=list)


@dataclass
class Samples:
    rows: int = 0
    durations: list[float] = field(default_factory=list)
    sql_times: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    per_statement: dict[str, list[float]] = field(default_factory=dict)

    def result(self, name: str, url: str) -> CaseResult:
        return CaseResult(
            name=name,
            url=unescape(url),
            median_ms=statistics.median(self.durations),
            p95_ms=nearest_rank(self.durations, 0.95),
            statements=max(self.counts),
            sql_ms=statistics.median(self.sql_times),
            rows=self.rows,
            statement_counts=sorted(set(self.counts)),
        )


@dataclass
class Target:
    """One database under test: its app, a logged-in client, and the samples of each case."""

    label: str
    sessions: int
    client: FlaskClient
    cases: list[tuple[str, str]]
    samples: dict[str, Samples]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        help="postgresql://user@host/database, seeded; repeat to time several databases in turns",
    )
    parser.add_argument(
        "--label", action="append", default=[], help='names each database, e.g. "1,000 sessions"'
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per case (default 30)")
    parser.add_argument("--json", type=Path, help="also save the results to this file")
    parser.add_argument("--sql", action="store_true", help="print the statements of each case")
    parser.add_argument("--only", metavar="TEXT", help="run only the cases whose name contains TEXT")
    parser.add_argument(
        "--compare", nargs="+", type=Path, metavar="JSON", help="ratios of runs saved with --json"
    )
    args = parser.parse_args(argv)
    if not args.compare and not args.database_url:
        parser.error("--database-url is required (or --compare FILE ...)")
    if len(args.label) > len(args.database_url):
        parser.error("more --label than --database-url")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def start_date_sort_index(app: Flask) -> int:
    """Flask-Admin sorts with ?sort=<position in column_list>; find start_date's."""
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        view = next(v for v in admin._views if getattr(v, "endpoint", None) == "sessions")
        names = [name for name, _label in view.get_list_columns()]
        if "start_date" not in view.get_sortable_columns():
            raise SystemExit("start_date is not sortable on the session list")
        return names.index("start_date")


def cases(app: Flask) -> list[tuple[str, str]]:
    sort = start_date_sort_index(app)
    return [
        ("default (first page)", LIST_URL),
        ("drafts filter", f"{LIST_URL}?flt0_publication_enumequal=DRAFT"),
        ("text search 'Excel'", f"{LIST_URL}?search=Excel"),
        ("sorted by start date", f"{LIST_URL}?sort={sort}"),
        ("page 50", f"{LIST_URL}?page=49"),
        (EXTRA + "text search 'Paris' (1 in 10)", f"{LIST_URL}?search=Paris"),
        (EXTRA + "sorted by start date, desc", f"{LIST_URL}?sort={sort}&desc=1"),
        (EXTRA + "default, 100 per page", f"{LIST_URL}?page_size=100"),
    ]


def short_sql(statement: str) -> str:
    """One line, with a long column list shown as its size."""
    text = " ".join(statement.split())
    match = SELECT_LIST_RE.match(text)
    if match and len(match.group(2)) > 120:
        columns = match.group(2).count(",") + 1
        text = f"{match.group(1)}<{columns} columns>{text[match.end(2) :]}"
    return text


def prepare(url: str, label: str, timer: StatementTimer, only: str | None) -> Target:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    ensure_admin(app)
    with app.app_context():
        timer.attach(db.engine)
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
        db.session.remove()
    selected = [(name, path) for name, path in cases(app) if not only or only in name]
    if not selected:
        raise SystemExit(f"no case matches {only!r}")
    return Target(
        label=label or f"{sessions:,} sessions",
        sessions=sessions,
        client=logged_in_client(app),
        cases=selected,
        samples={name: Samples() for name, _path in selected},
    )


def benchmark(targets: list[Target], timer: StatementTimer, runs: int) -> None:
    """Warm every case up, then time one request of each case on each database, runs times over."""
    for target in targets:
        for name, url in target.cases:
            for _ in range(WARM_UP):
                response = get(target.client, url)
            target.samples[name].rows = len(ROW_RE.findall(response.get_data(as_text=True)))
    for _ in range(runs):
        for index in range(len(targets[0].cases)):
            for target in targets:
                name, url = target.cases[index]
                sample = target.samples[name]
                timer.reset()
                started = time.perf_counter()
                get(target.client, url)
                sample.durations.append((time.perf_counter() - started) * 1000)
                sample.counts.append(len(timer.statements))
                sample.sql_times.append(sum(ms for _statement, ms in timer.statements))
                for position, (statement, ms) in enumerate(timer.statements, start=1):
                    sample.per_statement.setdefault(f"{position}. {statement}", []).append(ms)


def print_sql(target: Target) -> None:
    for name, url in target.cases:
        print(f"\n### {target.label}: {name} — {url}\n")
        for statement, times in target.samples[name].per_statement.items():
            print(f"-- {statistics.median(times):.2f} ms (median)\n{short_sql(statement)}\n")


def print_table(run: dict) -> None:
    print(f"\n#### Session list — {run['label']} ({run['runs']} runs per case)\n")
    print("| case | URL | median ms | p95 ms | SQL statements | SQL ms (median) | rows shown |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in run["results"]:
        counts = r["statement_counts"]
        statements = str(r["statements"]) if len(counts) == 1 else f"{counts} (varies)"
        print(
            f"| {r['name']} | `{r['url']}` | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {statements} "
            f"| {r['sql_ms']:.1f} | {r['rows']} |"
        )


def compare(small: dict, large: dict) -> bool:
    """Print the ratio table of two runs; True when the issue's cases meet every target."""
    by_name = {r["name"]: r for r in small["results"]}
    print(
        f"\n#### Ratio {large['label']} / {small['label']}"
        f" (targets: ratio <= {MAX_RATIO}, median < {MAX_MEDIAN_MS:.0f} ms, same SQL count)\n"
    )
    print("| case | median small ms | median large ms | ratio | rows shown | SQL statements | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    all_met = True
    for r in large["results"]:
        base = by_name.get(r["name"])
        if base is None:
            continue
        ratio = r["median_ms"] / base["median_ms"]
        misses = []
        if ratio > MAX_RATIO:
            misses.append(f"ratio > {MAX_RATIO}")
        if r["median_ms"] >= MAX_MEDIAN_MS:
            misses.append(f"median >= {MAX_MEDIAN_MS:.0f} ms")
        if not r["name"].startswith(EXTRA):
            all_met = all_met and not misses
        if r["statements"] != base["statements"]:
            misses.append("SQL count differs")
            all_met = False
        verdict = "MISSED: " + ", ".join(misses) if misses else "met"
        print(
            f"| {r['name']} | {base['median_ms']:.1f} | {r['median_ms']:.1f} | {ratio:.2f}× "
            f"| {base['rows']} → {r['rows']} | {base['statements']} → {r['statements']} | {verdict} |"
        )
    counts = {r["statements"] for run in (small, large) for r in run["results"]}
    if len(counts) != 1:
        all_met = False
        print(f"\nSQL statements per list page differ between cases or sizes: {sorted(counts)}")
    verdict = "met" if all_met else "MISSED"
    print(f"\nIssue's targets {verdict} ('{EXTRA}' cases are reported, not held to them).")
    return all_met


def compare_all(runs: list[dict]) -> bool:
    """Every run against the first one."""
    results = [compare(runs[0], run) for run in runs[1:]]
    return all(results)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.compare:
        runs = [run for path in args.compare for run in json.loads(path.read_text())["runs"]]
        if len(runs) < 2:
            raise SystemExit("--compare needs at least two saved runs")
        sys.exit(0 if compare_all(runs) else 1)

    timer = StatementTimer()
    labels = args.label + [""] * (len(args.database_url) - len(args.label))
    targets = [
        prepare(url, label, timer, args.only) for url, label in zip(args.database_url, labels, strict=True)
    ]
    benchmark(targets, timer, args.runs)
    runs = [
        {
            "label": target.label,
            "sessions": target.sessions,
            "runs": args.runs,
            "results": [asdict(target.samples[name].result(name, url)) for name, url in target.cases],
        }
        for target in targets
    ]
    for target in targets if args.sql else ():
        print_sql(target)
    for run in runs:
        print_table(run)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs}, ensure_ascii=False, indent=2))
    if len(runs) > 1:
        sys.exit(0 if compare_all(runs) else 1)


if __name__ == "__main__":
    main()
