#!/usr/bin/env bash
# Load test: 20 back-office users for 60 s against gunicorn (4 workers) on PostgreSQL and Redis,
# then the "no lost update" check. Needs `pip install -e '.[prod,bench]'`.
#
# Usage: bench/load/run.sh [DATABASE_URL] [REDIS_URL]
#   defaults: postgresql://postgres@127.0.0.1/trainadmin_bench_load  redis://127.0.0.1:6379/13
#   USERS=20 DURATION=60s SESSIONS=5000 PORT=8765 to change the load.
#   BOMB=1: one more user saves a template bomb on every e-mail rule of one session every 5 s
#   (bench/load/locustfile.py BombUser); the others' figures are in $OUT/others.json.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
py=${PYTHON:-$repo/.venv/bin/python}
bin=$(dirname "$py")
database_url=${1:-postgresql://postgres@127.0.0.1/trainadmin_bench_load}
redis_url=${2:-redis://127.0.0.1:6379/13}
users=${USERS:-20}
duration=${DURATION:-60s}
sessions=${SESSIONS:-5000}
port=${PORT:-8765}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
echo "results in $out"

"$py" bench/seed_sessions.py --database-url "$database_url" --sessions "$sessions" --reuse
"$py" bench/load/prepare.py --database-url "$database_url" >"$out/sessions.json"
"$bin/redis-cli" -u "$redis_url" flushdb >/dev/null 2>&1 || "$py" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$redis_url"

export DATABASE_URL=$database_url REDIS_URL=$redis_url SECRET_KEY=load-test-secret-key-0123456789
export TRAINADMIN_STORAGE=$out/files TRAINADMIN_LOG_FORMAT=json
"$bin/gunicorn" -w 4 -b "127.0.0.1:$port" --timeout 120 'app:app' 2>"$out/web.log" &
web=$!
"$bin/rq" worker --with-scheduler -w trainadmin.jobs.worker.Worker -u "$REDIS_URL" trainadmin >"$out/worker.log" 2>&1 &
worker=$!
trap 'kill $web $worker 2>/dev/null || true' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do
    kill -0 "$web" || { cat "$out/web.log"; exit 1; }
    sleep 0.2
done

classes=(BackOfficeUser)
if [[ "${BOMB:-0}" == 1 ]]; then
    classes+=(BombUser)
    users=$((users + 1))
fi
LOAD_SESSIONS=$(cat "$out/sessions.json") LOAD_RESULTS=$out/saves.json LOAD_SUMMARY=$out/others.json \
    "$bin/locust" -f bench/load/locustfile.py --headless -u "$users" -r 10 -t "$duration" --stop-timeout 15 \
    --host "http://127.0.0.1:$port" --csv "$out/locust" --only-summary "${classes[@]}" 2>&1 | tee "$out/locust.txt"
echo "requests other than the bomb's: $(cat "$out/others.json")"

"$py" bench/load/check.py --database-url "$database_url" --saves "$out/saves.json" --sessions "$out/sessions.json"
echo "server errors logged: $(grep -c '"status": 5' "$out/web.log" || true)"
echo "request lines logged: $(grep -c '"logger": "trainadmin.request"' "$out/web.log" || true)"
