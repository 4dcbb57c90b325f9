# Service helpers for bench/run and bench/load (sourced, not executed): a PostgreSQL cluster that
# persists under bench/data/ (so the synthetic data set is built once), Redis and Celery workers
# on free loopback ports. Same approach as scripts/test (docs: /work/shared/STACK.md); every
# function stops only what this shell started, by pid.
#
#   . bench/services.sh
#   bench_pg_start DATA_DIR RUN_DIR      → exports DATABASE_URL (database "antt")
#   bench_redis_start RUN_DIR            → exports CELERY_BROKER_URL, CELERY_RESULT_BACKEND
#   bench_celery_start RUN_DIR [N]       → N worker processes (default 2), pid in $RUN_DIR/celery.pid
#   bench_stop_all                       → stops in reverse order (trap it on EXIT)

BENCH_PG_BIN=""
BENCH_PG_DATA=""
BENCH_PG_OWNED=0
BENCH_REDIS_PIDFILE=""
BENCH_CELERY_PID=""
BENCH_GUNICORN_PID=""

bench_say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

bench_free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_as_pg_owner() {
    # initdb and postgres refuse to run as root: the cluster belongs to the postgres system user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_find_pg() {
    local dir
    for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
        if [ -x "$dir/initdb" ]; then BENCH_PG_BIN=$dir; return 0; fi
    done
    bench_say "PostgreSQL is not installed (scripts/bootstrap --dev installs it)"
    return 1
}

# bench_pg_start DATA_DIR RUN_DIR: create the cluster once, then start it on a free port.
# Settings are PostgreSQL's defaults (fsync and synchronous commit ON, as in production) except
# memory sized for a small 2-core server with a few GB of RAM.
bench_pg_start() {
    local data=$1 run=$2 port
    bench_find_pg || return 1
    mkdir -p "$data" "$run/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$data" "$run/pg"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        bench_say "initdb $data"
        bench_as_pg_owner "$BENCH_PG_BIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
            >"$run/initdb.log" 2>&1 || { cat "$run/initdb.log" >&2; return 1; }
    fi
    if [ -f "$data/postmaster.pid" ]; then
        # A previous run was killed: the pid file is stale when no server answers on it.
        local old
        old=$(head -1 "$data/postmaster.pid")
        if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
            bench_say "PostgreSQL already runs on $data (pid $old): another bench run? Stop it first."
            return 1
        fi
        rm -f "$data/postmaster.pid"
    fi
    port=$(bench_free_port)
    bench_as_pg_owner "$BENCH_PG_BIN/pg_ctl" -D "$data" -l "$run/pg/server.log" -w -t 120 \
        -o "-p $port -k $run/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB -c work_mem=16MB -c maintenance_work_mem=256MB -c effective_cache_size=2GB -c checkpoint_timeout=15min -c max_wal_size=4GB" \
        start >/dev/null || { cat "$run/pg/server.log" >&2; bench_say "PostgreSQL did not start"; return 1; }
    BENCH_PG_DATA=$data
    BENCH_PG_OWNED=1
    "$BENCH_PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'antt'" \
        | grep -q 1 || "$BENCH_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres antt || return 1
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/antt"
    export BENCH_PG_PORT=$port
}

# bench_pg_clone NAME: a copy of the data set (CREATE DATABASE … TEMPLATE antt) for a run that
# writes (the load test), so the measured data set stays as generated; DATABASE_URL points at it.
bench_pg_clone() {
    local name=$1 psql=("$BENCH_PG_BIN/psql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -d postgres -qAt)
    "${psql[@]}" -c "DROP DATABASE IF EXISTS $name" >/dev/null || return 1
    "${psql[@]}" -c "CREATE DATABASE $name TEMPLATE antt" >/dev/null || return 1
    export DATABASE_URL="postgres://postgres@127.0.0.1:$BENCH_PG_PORT/$name"
    BENCH_PG_CLONE=$name
}

bench_pg_drop_clone() {
    [ -n "${BENCH_PG_CLONE:-}" ] && [ "$BENCH_PG_OWNED" = 1 ] || return 0
    "$BENCH_PG_BIN/psql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -d postgres -qAt \
        -c "DROP DATABASE IF EXISTS $BENCH_PG_CLONE WITH (FORCE)" >/dev/null 2>&1
    BENCH_PG_CLONE=""
}

bench_pg_stop() {
    [ "$BENCH_PG_OWNED" = 1 ] || return 0
    # A fast (clean) shutdown keeps the data set; "immediate" would force recovery next time.
    bench_as_pg_owner "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_PG_DATA" -m fast -w -t 120 stop >/dev/null 2>&1
    BENCH_PG_OWNED=0
}

bench_redis_start() {
    local run=$1 port
    port=$(bench_free_port)
    BENCH_REDIS_PIDFILE=$run/redis.pid
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$BENCH_REDIS_PIDFILE" --dir "$run" --logfile "$run/redis.log" \
        || { bench_say "redis-server did not start"; return 1; }
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    export CELERY_BROKER_URL="redis://127.0.0.1:$port/0"
    export CELERY_RESULT_BACKEND="redis://127.0.0.1:$port/1"
}

bench_redis_stop() {
    [ -n "$BENCH_REDIS_PIDFILE" ] && [ -f "$BENCH_REDIS_PIDFILE" ] || return 0
    kill "$(cat "$BENCH_REDIS_PIDFILE")" 2>/dev/null
    for _ in $(seq 50); do [ -f "$BENCH_REDIS_PIDFILE" ] || break; sleep 0.05; done
    BENCH_REDIS_PIDFILE=""
}

# bench_celery_start RUN_DIR [CONCURRENCY]: prefork workers (as in docker-compose.yml: at nice 10,
# so that on a shared CPU the web requests go first and the background rescoring catches up
# after a burst), in a process group of their own; returns once a ping task has made the round trip.
bench_celery_start() {
    local run=$1 concurrency=${2:-2}
    setsid nice -n 10 .venv/bin/celery -A antt worker --pool=prefork --concurrency="$concurrency" \
        --without-mingle --without-gossip --without-heartbeat --queues=celery --loglevel=WARNING \
        --hostname="bench-$$@%h" >"$run/celery.log" 2>&1 &
    BENCH_CELERY_PID=$!
    echo "$BENCH_CELERY_PID" >"$run/celery.pid"
    export BENCH_CELERY_PID
    .venv/bin/python - <<'EOF' || { tail -30 "$run/celery.log" >&2; return 1; }
import sys, time
sys.path.insert(0, ".")
from antt.celery import app
deadline = time.monotonic() + 90
while True:
    try:
        assert app.send_task("antt.ping", args=[1]).get(timeout=5) == 2
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.5)
EOF
}

# bench_stop_group PID TENTHS: TERM the process group of PID (a warm shutdown), then KILL
# whatever is left after TENTHS tenths of a second.
bench_stop_group() {
    local pid=$1 tenths=$2
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
}

bench_celery_stop() {
    [ -n "$BENCH_CELERY_PID" ] || return 0
    bench_stop_group "$BENCH_CELERY_PID" 200
    BENCH_CELERY_PID=""
}

# bench_gunicorn_start RUN_DIR WORKERS THREADS: the production command (Dockerfile) on loopback.
bench_gunicorn_start() {
    local run=$1 workers=${2:-3} threads=${3:-4} port
    port=$(bench_free_port)
    setsid .venv/bin/gunicorn antt.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
        --threads "$threads" --error-logfile "$run/gunicorn.log" --log-level warning \
        --backlog 2048 >"$run/gunicorn.out" 2>&1 &
    BENCH_GUNICORN_PID=$!
    export BENCH_GUNICORN_PID
    export BENCH_BASE_URL="http://127.0.0.1:$port"
    for _ in $(seq 300); do
        [ "$(curl -s -o /dev/null -w "%{http_code}" "$BENCH_BASE_URL/healthz" 2>/dev/null)" != 000 ] && return 0
        kill -0 "$BENCH_GUNICORN_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -30 "$run/gunicorn.log" >&2
    bench_say "gunicorn did not start"
    return 1
}

bench_gunicorn_stop() {
    [ -n "$BENCH_GUNICORN_PID" ] || return 0
    bench_stop_group "$BENCH_GUNICORN_PID" 100
    BENCH_GUNICORN_PID=""
}

# bench_dataset SCALE DATA_DIR RUN_DIR: build the synthetic data set once (PostgreSQL running);
# DATA_DIR/dataset.json marks it complete and records the year and how long it took.
bench_dataset() {
    local scale=$1 data=$2 run=$3 year started
    [ -f "$data/dataset.json" ] && return 0
    year=$(date +%Y)
    bench_say "building the $scale data set for $year (once; later runs reuse it)"
    started=$SECONDS
    # No broker while generating: nothing is queued for workers that do not exist yet.
    CELERY_BROKER_URL="" .venv/bin/python -m bench.dataset --scale "$scale" --year "$year" --seed 1 -v 2 \
        | tee "$run/dataset.log" || return 1
    .venv/bin/python - "$data/dataset.json" "$year" "$((SECONDS - started))" "$scale" <<'EOF'
import datetime, json, sys
path, year, seconds, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
build = {
    "year": year,
    "seconds": seconds,
    "scale": scale,
    "command": f"manage.py generate_dataset --scale {scale} --year {year} --seed 1",
    "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
}
with open(path, "w") as fh:
    json.dump({"dataset_build": build}, fh, indent=2)
EOF
}

bench_dataset_year() {
    .venv/bin/python -c 'import json, sys; print(json.load(open(sys.argv[1]))["dataset_build"]["year"])' "$1/dataset.json"
}

bench_stop_all() {
    bench_gunicorn_stop
    bench_celery_stop
    bench_redis_stop
    bench_pg_drop_clone
    bench_pg_stop
}
