#!/usr/bin/env bash
# Session list at 1,000 and 100,000 sessions, end to end: seeds trainadmin_bench_1k and
# trainadmin_bench_100k (kept when they already hold that many sessions), times the list cases on
# both in turns, prints both tables and the 100k/1k ratio per case; exits 1 when a target is missed.
# Usage: bench/run_session_list.sh [RUNS] [JSON]   (PG_URL=postgresql://postgres@127.0.0.1 by default)
set -euo pipefail
runs=${1:-30}
json=${2:-}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="$repo/.venv/bin/python"
base=${PG_URL:-postgresql://postgres@127.0.0.1}
cd "$repo"

"$python" bench/seed_sessions.py --database-url "$base/trainadmin_bench_1k" --sessions 1000 --reuse
"$python" bench/seed_sessions.py --database-url "$base/trainadmin_bench_100k" --sessions 100000 --reuse
"$python" bench/session_list.py --runs "$runs" ${json:+--json "$json"} \
    --database-url "$base/trainadmin_bench_1k" --label "1,000 sessions" \
    --database-url "$base/trainadmin_bench_100k" --label "100,000 sessions"
