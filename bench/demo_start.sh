#!/usr/bin/env bash
# Time from a fresh clone to a demo that answers: `scripts/demo` creates the virtualenv, installs,
# migrates, loads the demo data and serves. Usage: bench/demo_start.sh [PORT]
set -euo pipefail
port=${1:-5077}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$repo" "$work/trainadmin"
cd "$work/trainadmin"
start=$(date +%s.%N)
scripts/demo --port "$port" >"$work/demo.log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/login"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/demo.log"; exit 1; }
    sleep 0.2
done
end=$(date +%s.%N)
printf 'fresh clone -> demo answering on /login: %.1f s\n' "$(echo "$end - $start" | bc)"
grep "Log in as" "$work/demo.log"
