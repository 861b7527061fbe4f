#!/usr/bin/env bash
# Session list at 1,000 and 100,000 sessions, end to end: seeds trainadmin_bench_1k and
# trainadmin_bench_100k (kept when they already hold that many sessions), times the list cases on
# both, prints both tables and the 100k/1k ratio per case; exits 1 when a target is missed.
# Usage: bench/run_session_list.sh [RUNS]    (PG_URL=postgresql://postgres@127.0.0.1 by default)
set -euo pipefail
runs=${1:-30}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="$repo/.venv/bin/python"
base=${PG_URL:-postgresql://postgres@127.0.0.1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$repo"

for size in 1k 100k; do
    case $size in
        1k) sessions=1000 label="1,000 sessions" ;;
        100k) sessions=100000 label="100,000 sessions" ;;
    esac
    url="$base/trainadmin_bench_$size"
    "$python" bench/seed_sessions.py --database-url "$url" --sessions "$sessions" --reuse
    "$python" bench/session_list.py --database-url "$url" --runs "$runs" --label "$label" \
        --json "$out/$size.json"
done
"$python" bench/session_list.py --compare "$out/1k.json" "$out/100k.json"
