"""Memory of a web worker: TrainAdmin and the stock Flask-Admin peer under gunicorn, side by side.

Usage (needs `pip install -e '.[prod]'` for gunicorn; seed the database with bench/seed_sessions.py):
    .venv/bin/python bench/web_rss.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench \
        [--requests 300] [--rounds 3]

Each round starts one gunicorn of one worker per app on a free loopback port, sends it --requests
GETs of the pages people open (TrainAdmin: dashboard, session list and its pages, a search, a
session's page, the demandes; the peer: its session list, pages and search), then reads the worker's
resident memory (VmRSS) from /proc and stops the server. Rounds alternate the two apps. The table
gives the worker's RSS after its first page and after the requests, median of the rounds.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from trainadmin import create_app  # noqa: E402

from _common import ADMIN_EMAIL, ADMIN_PASSWORD, ensure_admin  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SESSION_LINK = re.compile(r'href="(/admin/sessions/details/\?id=\d+)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_rss_mib(master: int) -> float:
    """The resident memory of the master's only child (the gunicorn worker), in MiB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start(app_spec: str, port: int, env: dict[str, str], chdir: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--chdir", str(chdir), app_spec],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(f"{app_spec} did not start")
    time.sleep(0.5)  # the worker has booted once the port answers; let it settle
    return process


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def fetch(client: urllib.request.OpenerDirector, url: str, data: dict | None = None) -> str:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with client.open(url, data=body, timeout=60) as response:  # noqa: S310 (loopback only)
        return response.read().decode("utf-8", "replace")


def trainadmin_urls(base: str, client) -> list[str]:
    token = CSRF.search(fetch(client, f"{base}/login")).group(1)
    fetch(client, f"{base}/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    listing = fetch(client, f"{base}/admin/sessions/")
    session = SESSION_LINK.search(listing)
    pages = ["/admin/", "/admin/sessions/", "/admin/sessions/?page=1", "/admin/sessions/?search=Paris"]
    pages += ["/admin/demandes/", "/admin/sessions/?page_size=100"]
    if session:
        pages.append(session.group(1))
    return [base + page for page in pages]


def peer_urls(base: str, client) -> list[str]:
    pages = ["/admin/trainingsession/", "/admin/trainingsession/?page=1"]
    pages += ["/admin/trainingsession/?search=Paris", "/admin/trainingsession/?page_size=100"]
    return [base + page for page in pages]


def measure(name: str, database_url: str, requests: int) -> tuple[float, float]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key", "REDIS_URL": ""}
    if name == "TrainAdmin":
        process = start("app:app", port, env, ROOT)
    else:
        process = start(f"peer.app:create_peer_app({database_url!r})", port, env, ROOT / "bench")
    try:
        client = opener()
        base = f"http://127.0.0.1:{port}"
        urls = trainadmin_urls(base, client) if name == "TrainAdmin" else peer_urls(base, client)
        fetch(client, urls[0])
        at_start = worker_rss_mib(process.pid)  # the app loaded, one page served
        for index in range(requests):
            fetch(client, urls[index % len(urls)])
        return at_start, worker_rss_mib(process.pid)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    ensure_admin(
        create_app({"DATABASE_URL": args.database_url, "REDIS_URL": "", "SECRET_KEY": "bench-secret-key"})
    )
    results: dict[str, list[tuple[float, float]]] = {"TrainAdmin": [], "peer": []}
    for _ in range(args.rounds):
        for name in results:
            results[name].append(measure(name, args.database_url, args.requests))

    print(f"\n#### Web worker memory (gunicorn, 1 worker), {args.requests} requests, {args.rounds} rounds\n")
    print("| app | RSS after the first page, MiB | RSS after the requests, MiB |")
    print("|---|---:|---:|")
    for name, rows in results.items():
        first = statistics.median(row[0] for row in rows)
        last = statistics.median(row[1] for row in rows)
        print(f"| {name} | {first:.1f} | {last:.1f} |")


if __name__ == "__main__":
    main()
