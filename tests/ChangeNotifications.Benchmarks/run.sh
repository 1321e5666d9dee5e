#!/usr/bin/env bash
# Benchmarks the service against a bare Kestrel baseline, in one run on this machine, over loopback.
#   tests/ChangeNotifications.Benchmarks/run.sh            (BENCH_DURATION=10s BENCH_WARMUP=2s by default)
# Prints a table of requests/s, notifications/s, p50/p99/max latency and the service ÷ baseline ratio at 1 and
# 64 connections for batches of 1 and 100 notifications, the service's 64 x 100 row again at about a half and a quarter of its rate,
# the 64 x 1 ratio from baseline and service samples taken in turn (the headline figure; beside it the same service with
# Storage:Durability=Normal, no fsync before the 202), then the handshake latency,
# the end-to-end latency (emulator send -> handler start), how fast the backlog left by the runs is handled and the
# service's peak working set (VmHWM), and the inbox's write rounds under 64 x 1 (its own meter, read with dotnet-counters).
# BENCH_VARIANTS="name=gitref ..." measures other builds of the service beside it, in the same run (a summary table at
# the end). Where PostgreSQL's binaries are installed (BENCH_POSTGRES=0 skips it), the service on the PostgreSQL store
# and a naive peer (one INSERT and commit per request) on a throwaway server join the run like variants. See BENCHMARKS.md.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
CONNECTIONS=(1 64)
BATCHES=(1 100)
WORK="$(mktemp -d -t cn-bench-XXXXXX)"
RESULTS="$WORK/results.tsv"
PIDS=()

VARIANT_TREES=() # the variants' git worktrees, removed at the end
PG_DATA="" # the throwaway PostgreSQL server's data folder, while it runs (the PostgreSQL rows below)

cleanup() {
  # SIGCONT first: a process frozen for the paired samples would not act on SIGTERM.
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -z "$PG_DATA" ]] || "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  [[ -z "$PG_DATA" || -n "${BENCH_KEEP:-}" ]] || rm -rf "$(dirname "$PG_DATA")"
  for tree in "${VARIANT_TREES[@]}"; do git -C "$ROOT" worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  (( ${#VARIANT_TREES[@]} == 0 )) || git -C "$ROOT" worktree prune || true
  [[ -n "${BENCH_KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

install_wrk() {
  command -v wrk >/dev/null && return
  log "installing wrk"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
}

# start NAME DIR DLL [ENV=VALUE...]: starts `dotnet DLL` in DIR on loopback port $PORT (default: a free one); sets PID and URL.
start() { try_start "$@" || exit 1; }

# try_start: start, but a process that does not start is stopped and reported, and try_start returns 1.
try_start() {
  local name="$1" dir="$2" dll="$3"; shift 3
  local out="$WORK/$name.log"
  (cd "$dir" && exec env "$@" dotnet "$dll" --urls "http://127.0.0.1:${PORT:-0}" >"$out" 2>&1) &
  PID=$!; PIDS+=("$PID")
  for _ in $(seq 1 300); do
    URL="$(grep 'Now listening on' "$out" | grep -oE 'http://127\.0\.0\.1:[0-9]+' | head -1 || true)"
    [[ -n "$URL" ]] && { log "$name listening on $URL (pid $PID)"; return 0; }
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$out" >&2; echo "$name exited during start-up" >&2; return 1; }
    sleep 0.1
  done
  tail -n 30 "$out" >&2; echo "$name did not start within 30 s" >&2; stop "$PID"; return 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# BENCH_SERVICE_SETTINGS="Key__Sub=value ..." adds settings to the service (for profiling, e.g. Dispatcher__Enabled=false);
# BENCH_SKIP_BASELINE=1 skips the baseline (the ratio column is then empty).
# notify_load RUN CONNS BATCH DURATION URL [DELAY_MS]: wrk posting notifications (lua/notify.lua), batches of BATCH, for
# DURATION; prints wrk's output. RUN tags the notification ids (every run's are its own). DELAY_MS: each connection pauses
# that long on average (at random) before each request: a load below saturation.
notify_load() {
  local threads=1
  (( $2 > 1 )) && threads=2
  BENCH_LUA_DIR="$BENCH_DIR/lua" BENCH_DATA="$WORK/data.lua" BENCH_RUN="$1" BENCH_BATCH="$3" BENCH_DELAY_MS="${6:-0}" \
    wrk -t "$threads" -c "$2" -d "$4" --timeout 5s -s "$BENCH_DIR/lua/notify.lua" "$5"
}

# measure TARGET CONNS BATCH URL [DELAY_MS]: a warm-up then a timed wrk run (notify_load); appends a row to $RESULTS.
measure() {
  local target="$1" conns="$2" batch="$3" url="$4" line
  RUN_SEQ=$((RUN_SEQ + 1)) # in the notification ids: every run's are its own, a repeated row's too
  notify_load "w$RUN_SEQ$target$conns-$batch" "$conns" "$batch" "$WARMUP" "$url" "${5:-0}" >/dev/null
  line="$(notify_load "r$RUN_SEQ$target$conns-$batch" "$conns" "$batch" "$DURATION" "$url" "${5:-0}" | grep '^RESULT')"
  log "$target c=$conns batch=$batch: $line"
  printf '%s\t%s\t%s\t%s\n' "$target" "$conns" "$batch" "$line" >>"$RESULTS"
}

RUN_SEQ=0
field() { sed -nE "s/.*[[:space:]]$1=([0-9.]+).*/\1/p" <<<"$2"; }

# BENCH_VARIANTS="name=gitref ...": other builds of the service (e.g. before=1c6b7b9), each built from a detached git
# worktree of its ref and measured like the service, on its own copy of the seeded file: its batch rows, one half-rate
# sample at the service's pause, its turns in the paired 64 x 1 cycle and its drain. A variant that does not build or
# start is reported and skipped. Names: letters, digits, _ and . (they become the table's targets).
VARIANT_NAMES=()
declare -A VARIANT_REF VARIANT_STATE VARIANT_PID VARIANT_URL VARIANT_DRAIN
for spec in ${BENCH_VARIANTS:-}; do
  name="${spec%%=*}"
  if [[ "$spec" != *=?* || ! "$name" =~ ^[A-Za-z0-9_.]+$ || "$name" =~ ^(baseline|service|normal)$ || -n "${VARIANT_REF[$name]:-}" ]]; then
    echo "BENCH_VARIANTS: '$spec' is not name=gitref with a new name of letters, digits, _ or . (not baseline, service or normal)" >&2
    exit 2
  fi
  VARIANT_NAMES+=("$name"); VARIANT_REF[$name]="${spec#*=}"; VARIANT_STATE[$name]="not built"
done

# seconds DURATION: wrk's duration (10, 10s, 2m, 1h) in seconds.
seconds() { awk -v d="$1" 'BEGIN { n = d + 0; u = substr(d, length(d)); print (u == "m" ? n * 60 : u == "h" ? n * 3600 : n) }'; }

if (( ${#VARIANT_NAMES[@]} > 0 )); then
  # wrk runs of warm-up + duration each; about 90 s for a variant's build and 10 s for a start; a drain takes up to
  # BENCH_DRAIN_TIMEOUT (the backlog of full-length rows outlasts it); the e2e changes 50 ms apart.
  n=${#VARIANT_NAMES[@]}; pairs="${BENCH_PAIRS:-3}"; below="${BENCH_BELOW_SAMPLES:-3}"
  runs=$(( 4 + 2 * below + 1 + 5 * n )) # the service's rows, its lower-rate samples, the handshake; each variant's 5
  extra=$(( 90 * n + 10 * (3 + n) + ${BENCH_DRAIN_TIMEOUT:-180} * (1 + n) + 14 + ${BENCH_E2E_COUNT:-100} / 20 ))
  if [[ -z "${BENCH_SKIP_BASELINE:-}" ]]; then
    runs=$(( runs + 4 ))
    if (( pairs > 0 )); then
      runs=$(( runs + 1 + pairs * (2 + 2 * n) ))
      [[ "${BENCH_NORMAL:-1}" != 1 ]] || { runs=$(( runs + pairs )); extra=$(( extra + 10 + $(seconds "${BENCH_NORMAL_WARMUP:-40s}") )); }
    fi
  fi
  total=$(( runs * ($(seconds "$WARMUP") + $(seconds "$DURATION")) + extra ))
  log "expected length with ${#VARIANT_NAMES[@]} variant(s): about $(( (total + 59) / 60 )) min ($runs wrk runs of $WARMUP + $DURATION, builds, starts and drains)"
fi

install_wrk
log "building (Release)"
dotnet build "$BENCH_DIR/Baseline/Baseline.csproj" -c Release -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$BENCH_DIR/Driver/Driver.csproj" -c Release -v q -nologo >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$BENCH_DIR/NaivePeer/NaivePeer.csproj" -c Release -v q -nologo >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
NAIVE_BIN="$BENCH_DIR/NaivePeer/bin/Release/net10.0"
BASELINE_BIN="$BENCH_DIR/Baseline/bin/Release/net10.0"
SERVICE_BIN="$ROOT/src/ChangeNotifications/bin/Release/net10.0"
DRIVER_DLL="$BENCH_DIR/Driver/bin/Release/net10.0/ChangeNotifications.Benchmarks.Driver.dll"
for name in "${VARIANT_NAMES[@]}"; do
  ref="${VARIANT_REF[$name]}"; tree="$WORK/variants/$name/src"
  mkdir -p "$WORK/variants/$name"
  log "building variant $name ($ref, Release)"
  if ! git -C "$ROOT" worktree add --detach "$tree" "$ref" >"$WORK/variants/$name/build.log" 2>&1; then
    tail -n 5 "$WORK/variants/$name/build.log" >&2; VARIANT_STATE[$name]="skipped: no worktree of $ref"; log "variant $name: ${VARIANT_STATE[$name]}"; continue
  fi
  VARIANT_TREES+=("$tree")
  sha="$(git -C "$tree" rev-parse --short HEAD)"
  [[ "$sha" == "$ref"* ]] || VARIANT_REF[$name]="$ref, $sha"
  if ! dotnet build "$tree/src/ChangeNotifications" -c Release -v q -nologo -o "$WORK/variants/$name/bin" >>"$WORK/variants/$name/build.log" 2>&1; then
    tail -n 20 "$WORK/variants/$name/build.log" >&2; VARIANT_STATE[$name]="skipped: build failed"; log "variant $name: ${VARIANT_STATE[$name]}"; continue
  fi
  VARIANT_STATE[$name]=built
done

dotnet "$DRIVER_DLL" seed --db "$WORK/service.db" --lua "$WORK/data.lua" --subscriptions 8 >&2
# The same subscriptions for the paired samples' Durability=Normal instance (below), on a file of its own.
cp "$WORK/service.db" "$WORK/normal.db"
# And one for each variant: an older build opens it as it is (it creates the tables it lacks and ignores columns it does
# not know), so every target takes the same requests.
for name in "${VARIANT_NAMES[@]}"; do cp "$WORK/service.db" "$WORK/variants/$name/service.db"; done

PG_BIN="${CN_TEST_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
PG_CONNECTION=""
AS_PG=()
if [[ "${BENCH_POSTGRES:-1}" == 1 && -x "$PG_BIN/initdb" ]]; then
  # As root, PostgreSQL runs as the postgres user, in a folder of its own (the run's folder is private to this user).
  pg_dir="$(mktemp -d -t cn-bench-pg-XXXXXX)"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$pg_dir"; AS_PG=(runuser -u postgres --); fi
  pg_port="$(dotnet "$DRIVER_DLL" free-port)"
  log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$pg_port"
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >"$WORK/pg-init.log" 2>&1
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=300" >>"$WORK/pg-init.log" 2>&1
  PG_DATA="$pg_dir/data"
  PG_CONNECTION="Host=127.0.0.1;Port=$pg_port;Username=postgres"
  for db in cn_bench cn_naive; do "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db"; done
  dotnet "$DRIVER_DLL" seed --from-db "$WORK/service.db" --postgres "$PG_CONNECTION;Database=cn_bench" >&2
  VARIANT_NAMES+=(pg naive)
  VARIANT_REF[pg]="the service on the PostgreSQL store"; VARIANT_REF[naive]="one INSERT and commit per request, NaivePeer/"
  VARIANT_STATE[pg]="not started"; VARIANT_STATE[naive]="not started"
elif [[ "${BENCH_POSTGRES:-1}" == 1 ]]; then
  log "no PostgreSQL binaries (CN_TEST_POSTGRES_BIN or /usr/lib/postgresql/*/bin): the PostgreSQL rows are skipped"
fi

# The baseline stays up, frozen (SIGSTOP: no CPU) while the service runs, for the paired samples below.
BASELINE_PID=""
if [[ -z "${BENCH_SKIP_BASELINE:-}" ]]; then
  start baseline "$BASELINE_BIN" Baseline.dll
  BASELINE_PID=$PID; BASELINE_URL=$URL
  for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure baseline "$c" "$b" "$BASELINE_URL"; done; done
  kill -STOP "$BASELINE_PID"
fi

# The service as shipped (Storage:Durability Full, the dispatcher and its handlers running against the in-process
# Graph emulator), on its own SQLite file; Reconcile=false makes it a receiver-only instance
# (no subscriptions created or deleted; the NotificationUrl only satisfies validation of the configured items): it serves the seeded ones and the emulator generates no changes of its own.
start service "$SERVICE_BIN" ChangeNotifications.dll \
  Storage__SqlitePath="$WORK/service.db" Subscriptions__Reconcile=false \
  Subscriptions__NotificationUrl=http://127.0.0.1:9/api/notifications ${BENCH_SERVICE_SETTINGS:-}
SERVICE_PID=$PID; SERVICE_URL=$URL
for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure service "$c" "$b" "$SERVICE_URL"; done; done

# 64 x 100 again at about half the rate just measured: every connection pauses 2 x 64 / (requests/s) on average
# between requests (at random, so that they do not send in step).
# At saturation wrk's closed loop measures the queue (64 connections / rate); this row gives the acknowledgement's
# latency when the service keeps up.
SATURATED_RPS="$(field rps "$(awk -F'\t' '$1=="service" && $2==64 && $3==100 {print $4}' "$RESULTS")")"
HALF_DELAY_MS="$(awk -v r="$SATURATED_RPS" 'BEGIN { d = int(2 * 64 * 1000 / r + 0.5); print (d < 1 ? 1 : d) }')"
# And at about a quarter of it: where a notification rate that handling cannot keep up with anyway (the dispatcher
# trickles) still leaves the machine room.
QUARTER_DELAY_MS="$(( 2 * HALF_DELAY_MS ))"
# BENCH_BELOW_SAMPLES samples of each, in turn: on this machine one sample's p99 at these rates ranged 12-47 ms for the
# same build within minutes, so a single one says little; the summary gives their median.
BELOW_SAMPLES="${BENCH_BELOW_SAMPLES:-3}"
for _ in $(seq 1 "$BELOW_SAMPLES"); do
  measure svc-half 64 100 "$SERVICE_URL" "$HALF_DELAY_MS"
  measure svc-qtr 64 100 "$SERVICE_URL" "$QUARTER_DELAY_MS"
done

# Each variant started like the service, on its own file: the same rows, then one half-rate sample at the service's
# pause (the same offered load, so the p99s compare); frozen afterwards, as the service is meanwhile.
if (( ${#VARIANT_NAMES[@]} > 0 )); then
  kill -STOP "$SERVICE_PID"
  for name in "${VARIANT_NAMES[@]}"; do
    [[ "${VARIANT_STATE[$name]}" == built ]] || continue
    if ! try_start "v-$name" "$WORK/variants/$name/bin" ChangeNotifications.dll \
        Storage__SqlitePath="$WORK/variants/$name/service.db" Subscriptions__Reconcile=false \
        Subscriptions__NotificationUrl=http://127.0.0.1:9/api/notifications ${BENCH_SERVICE_SETTINGS:-}; then
      VARIANT_STATE[$name]="skipped: did not start"; log "variant $name: ${VARIANT_STATE[$name]}"; continue
    fi
    VARIANT_STATE[$name]=started; VARIANT_PID[$name]=$PID; VARIANT_URL[$name]=$URL
    for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure "$name" "$c" "$b" "$URL"; done; done
    measure "$name-half" 64 100 "$URL" "$HALF_DELAY_MS"
    kill -STOP "$PID"
  done
  kill -CONT "$SERVICE_PID"
fi
# The PostgreSQL rows (BENCH_POSTGRES=1, the default, where PostgreSQL's binaries are installed: CN_TEST_POSTGRES_BIN or
# the newest /usr/lib/postgresql/*/bin): a throwaway server on loopback (fsync on, as a production server runs), the
# service on the PostgreSQL store (Storage:Provider=Postgres, the same seeded subscriptions) and the naive peer (one
# INSERT and commit per request) on databases of their own. Both then take part like variants: their rows, a
# half-rate sample, their turns in the paired cycle; they are not drained (the drain reads a SQLite file).
if [[ -n "$PG_CONNECTION" ]]; then
  kill -STOP "$SERVICE_PID"
  if try_start pg "$SERVICE_BIN" ChangeNotifications.dll \
      Storage__Provider=Postgres ConnectionStrings__ChangeNotifications="$PG_CONNECTION;Database=cn_bench" \
      Subscriptions__Reconcile=false Subscriptions__NotificationUrl=http://127.0.0.1:9/api/notifications ${BENCH_SERVICE_SETTINGS:-}; then
    VARIANT_STATE[pg]=started; VARIANT_PID[pg]=$PID; VARIANT_URL[pg]=$URL
    for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure pg "$c" "$b" "$URL"; done; done
    measure pg-half 64 100 "$URL" "$HALF_DELAY_MS"
    kill -STOP "$PID"
  else
    VARIANT_STATE[pg]="skipped: did not start"; log "pg: ${VARIANT_STATE[pg]}"
  fi
  if try_start naive "$NAIVE_BIN" NaivePeer.dll NAIVE_CONNECTION="$PG_CONNECTION;Database=cn_naive" \
      NAIVE_CLIENT_STATES="$(grep -oE 'clientState = "[^"]+"' "$WORK/data.lua" | cut -d'"' -f2 | paste -sd, -)"; then
    VARIANT_STATE[naive]=started; VARIANT_PID[naive]=$PID; VARIANT_URL[naive]=$URL
    for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure naive "$c" "$b" "$URL"; done; done
    measure naive-half 64 100 "$URL" "$HALF_DELAY_MS"
    kill -STOP "$PID"
  else
    VARIANT_STATE[naive]="skipped: did not start"; log "naive: ${VARIANT_STATE[naive]}"
  fi
  kill -CONT "$SERVICE_PID"
fi
STARTED_VARIANTS=()
for name in "${VARIANT_NAMES[@]}"; do [[ "${VARIANT_STATE[$name]}" != started ]] || STARTED_VARIANTS+=("$name"); done

# The headline ratio, 64 x 1, from samples taken in turn: baseline, service, baseline, ... (BENCH_PAIRS service samples
# between BENCH_PAIRS + 1 baseline ones), the other process frozen meanwhile (the service's dispatcher would otherwise
# handle its backlog during a baseline sample). Each service sample is set against the mean of the baseline samples
# either side of it: this machine's speed drifts within minutes (44-73 k/s for the baseline in one day, once 53 -> 44
# k/s within one run), which made the ratio of rows taken minutes apart move by +-0.08.
# Beside them (BENCH_NORMAL=1, the default), samples of the same service with Storage:Durability=Normal (no fsync before
# the 202: it survives a crash of the process, not of the machine), warmed up as long as the service's rows warmed the
# service: what the fsync per acknowledgement costs against the same baseline samples.
PAIRS="${BENCH_PAIRS:-3}"
# BENCH_PAIR_BATCH=100 takes the paired samples with batches of 100 instead of 1 (an A/B of what only large batches use).
PAIR_BATCH="${BENCH_PAIR_BATCH:-1}"
if [[ -n "$BASELINE_PID" ]] && (( PAIRS > 0 )); then
  kill -STOP "$SERVICE_PID"
  NORMAL_PID=""
  if [[ "${BENCH_NORMAL:-1}" == 1 ]]; then
    kill -STOP "$BASELINE_PID"
    start normal "$SERVICE_BIN" ChangeNotifications.dll \
      Storage__SqlitePath="$WORK/normal.db" Storage__Durability=Normal Subscriptions__Reconcile=false \
      Subscriptions__NotificationUrl=http://127.0.0.1:9/api/notifications ${BENCH_SERVICE_SETTINGS:-}
    NORMAL_PID=$PID; NORMAL_URL=$URL
    notify_load nwarm 64 1 "${BENCH_NORMAL_WARMUP:-40s}" "$NORMAL_URL" >/dev/null
    kill -STOP "$NORMAL_PID"
  fi
  kill -CONT "$BASELINE_PID"
  measure pair-base 64 "$PAIR_BATCH" "$BASELINE_URL"
  for _ in $(seq 1 "$PAIRS"); do
    kill -STOP "$BASELINE_PID"; kill -CONT "$SERVICE_PID"
    measure pair-svc 64 "$PAIR_BATCH" "$SERVICE_URL"
    kill -STOP "$SERVICE_PID"
    if [[ -n "$NORMAL_PID" ]]; then
      kill -CONT "$NORMAL_PID"
      measure pair-nrm 64 "$PAIR_BATCH" "$NORMAL_URL"
      kill -STOP "$NORMAL_PID"
    fi
    kill -CONT "$BASELINE_PID"
    measure pair-base 64 "$PAIR_BATCH" "$BASELINE_URL"
    # Each variant's turn, followed by a baseline sample of its own: every sample has baselines either side.
    for name in "${STARTED_VARIANTS[@]}"; do
      kill -STOP "$BASELINE_PID"; kill -CONT "${VARIANT_PID[$name]}"
      measure "pair-v-$name" 64 "$PAIR_BATCH" "${VARIANT_URL[$name]}"
      kill -STOP "${VARIANT_PID[$name]}"; kill -CONT "$BASELINE_PID"
      measure pair-base 64 "$PAIR_BATCH" "$BASELINE_URL"
    done
  done
  kill -CONT "$SERVICE_PID"
  [[ -z "$NORMAL_PID" ]] || { kill -CONT "$NORMAL_PID"; stop "$NORMAL_PID"; }
fi
[[ -z "$BASELINE_PID" ]] || { kill -CONT "$BASELINE_PID"; stop "$BASELINE_PID"; }

# Each variant's backlog handled by itself, alone (the service frozen meanwhile), read from its file as the service's is
# below; then the variant stops.
if (( ${#STARTED_VARIANTS[@]} > 0 )); then
  kill -STOP "$SERVICE_PID"
  for name in "${STARTED_VARIANTS[@]}"; do
    [[ "$name" != pg && "$name" != naive ]] || { kill -CONT "${VARIANT_PID[$name]}"; stop "${VARIANT_PID[$name]}"; continue; }
    kill -CONT "${VARIANT_PID[$name]}"
    VARIANT_DRAIN[$name]="$(dotnet "$DRIVER_DLL" drain --db "$WORK/variants/$name/service.db" --timeout-s "${BENCH_DRAIN_TIMEOUT:-180}")" ||
      VARIANT_DRAIN[$name]="DRAIN failed"
    log "$name drain: ${VARIANT_DRAIN[$name]}"
    stop "${VARIANT_PID[$name]}"
  done
  kill -CONT "$SERVICE_PID"
fi

# The inbox's rounds under the 64 x 1 load, from the service's own meter (ChangeNotifications.Inbox) read with
# dotnet-counters during one more 64 x 1 sample (not one of the measured ones: the listener costs the service some CPU).
# The tool is installed from NuGet into the user's cache once; without it (offline) the line says so and the run goes on.
COUNTERS_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/changenotifications-bench/tools"
COUNTERS="$COUNTERS_DIR/dotnet-counters"
ROUNDS=""
if [[ -x "$COUNTERS" ]] || dotnet tool install --tool-path "$COUNTERS_DIR" dotnet-counters --version 10.0.750501 >"$WORK/counters-install.log" 2>&1; then
  notify_load rounds 64 1 14s "$SERVICE_URL" >"$WORK/rounds-wrk.txt" &
  WRK_PID=$!
  sleep 2
  "$COUNTERS" collect -p "$SERVICE_PID" --counters ChangeNotifications.Inbox --format csv --refresh-interval 10 \
    --duration 00:00:00:10 -o "$WORK/counters.csv" </dev/null >"$WORK/counters.log" 2>&1 || true
  wait "$WRK_PID" || true
  # The last interval's percentiles of each histogram: round.writes (callers) and round.duration (s).
  ROUNDS="$(awk -F, '
    /round\.writes/   && match($3, /Percentile=[0-9]+/) { w[substr($3, RSTART + 11, RLENGTH - 11)] = $5 }
    /round\.duration/ && match($3, /Percentile=[0-9]+/) { d[substr($3, RSTART + 11, RLENGTH - 11)] = $5 }
    END { if (length(d) > 0) printf "callers a round p50 %d, p99 %d; round (first write to durable commit) p50 %.2f ms, p95 %.2f ms, p99 %.2f ms",
                                  w[50], w[99], d[50] * 1000, d[95] * 1000, d[99] * 1000 }' "$WORK/counters.csv" 2>/dev/null || true)"
  [[ -n "$ROUNDS" ]] && ROUNDS="$ROUNDS ($(grep -oE 'rps=[0-9.]+' "$WORK/rounds-wrk.txt" | cut -d= -f2 | xargs printf '%.0f') requests/s with the listener)"
fi
[[ -n "$ROUNDS" ]] || ROUNDS="not read (dotnet-counters could not be installed or read; see counters-install.log / counters.log with BENCH_KEEP=1)"
log "inbox rounds: $ROUNDS"

# The same warm-up as the other rows (the handshake's own path is otherwise measured while it is still being compiled).
BENCH_LUA_DIR="$BENCH_DIR/lua" wrk -t 2 -c 64 -d "$WARMUP" --timeout 5s -s "$BENCH_DIR/lua/handshake.lua" "$SERVICE_URL" >/dev/null
HANDSHAKE="$(BENCH_LUA_DIR="$BENCH_DIR/lua" wrk -t 2 -c 64 -d "$DURATION" --timeout 5s -s "$BENCH_DIR/lua/handshake.lua" "$SERVICE_URL" | grep '^RESULT')"
log "handshake c=64: $HANDSHAKE"
# Handling: the backlog the acknowledgement runs left in the inbox, handled by the same process.
DRAIN="$(dotnet "$DRIVER_DLL" drain --db "$WORK/service.db" --timeout-s "${BENCH_DRAIN_TIMEOUT:-180}")"
log "drain: $DRAIN"
VMHWM_KB="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVICE_PID/status")"
stop "$SERVICE_PID"

# End to end, emulator send -> handler start: the service as `dotnet run` starts it (Emulator mode, its configured
# subscriptions created through the emulator's handshake; the emulator's own change pace off) on a port known up
# front, logging compact JSON; the driver asks the emulator for changes and reads the handlers' start times.
PORT="$(dotnet "$DRIVER_DLL" free-port)" start e2e "$SERVICE_BIN" ChangeNotifications.dll \
  Storage__SqlitePath="$WORK/e2e.db" Graph__Emulator__ChangePace= \
  Serilog__WriteTo__0__Args__configure__0__Args__formatter="Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact"
E2E_PID=$PID
E2E="$(dotnet "$DRIVER_DLL" e2e --log "$WORK/e2e.log" --count "${BENCH_E2E_COUNT:-100}" --gap-ms 50)"
log "end to end: $E2E"
stop "$E2E_PID"

echo
echo "ChangeNotifications benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), wrk $DURATION per run (after $WARMUP warm-up), loopback"
echo
printf '| %-8s | %5s | %5s | %10s | %10s | %8s | %8s | %8s | %8s | %8s |\n' target conns batch "requests/s" "notif/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "÷ base"
printf '|%s|\n' "----------|-------|-------|------------|------------|----------|----------|----------|----------|----------"
while IFS=$'\t' read -r target conns batch line; do
  [[ "$target" == pair-* ]] && continue
  rps="$(field rps "$line")"
  base_line="$(awk -F'\t' -v c="$conns" -v b="$batch" '$1=="baseline" && $2==c && $3==b {print $4}' "$RESULTS")"
  base_rps="$(field rps "$base_line")"
  [[ "$target" == svc-* || "$target" == *-half ]] && base_rps="" # the lower-rate rows have no baseline of their own
  awk -v t="$target" -v c="$conns" -v b="$batch" -v rps="$rps" -v base="$base_rps" \
      -v p50="$(field p50_us "$line")" -v p99="$(field p99_us "$line")" -v max="$(field max_us "$line")" \
      -v bad="$(( $(field non2xx "$line") + $(field timeouts "$line") + $(field socket_errors "$line") ))" \
      'BEGIN { ratio = base > 0 ? sprintf("%8.2f", rps/base) : "       -"
               printf "| %-8s | %5d | %5d | %10.0f | %10.0f | %8.2f | %8.2f | %8.1f | %8d | %s |\n", t, c, b, rps, rps*b, p50/1000, p99/1000, max/1000, bad, ratio }'
done <"$RESULTS"
echo "(svc-half, svc-qtr: the service's 64 x 100 row again, each connection pausing ${HALF_DELAY_MS} / ${QUARTER_DELAY_MS} ms on average between requests: about a half / a quarter of the rate above)"
(( ${#STARTED_VARIANTS[@]} == 0 )) || echo "(${STARTED_VARIANTS[*]/%/-half}: each variant's 64 x 100 row again at svc-half's pause, ${HALF_DELAY_MS} ms: one sample)"
# awk: sorts a[0 .. n - 1] in place and returns its median (the two summaries below).
SORT_MEDIAN='function sort_median(a, n,   i, j, t) {
  for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
}'
# The median p99 of the samples below saturation, per row.
awk -F'\t' "$SORT_MEDIAN"'
  $1 ~ /^svc-/ { match($4, /p99_us=[0-9.]+/); v[$1, n[$1]++] = substr($4, RSTART + 7, RLENGTH - 7) / 1000 }
  END {
    for (t in n) {
      split("", p99)
      for (i = 0; i < n[t]; i++) p99[i] = v[t, i]
      m = sort_median(p99, n[t])
      printf "%s p99 over %d samples: %.1f to %.1f ms, median %.1f ms\n", t, n[t], p99[0], p99[n[t] - 1], m
    }
  }' "$RESULTS" | sort
if grep -q '^pair-svc' "$RESULTS"; then
  # Each sample is set against the mean of the baseline samples either side of it (the ones before and after it in the
  # cycle); the headline is the median of the service's ratios. The medians per target also go to paired.tsv.
  awk -F'\t' -v out="$WORK/paired.tsv" -v batch="$PAIR_BATCH" "$SORT_MEDIAN"'
    { match($4, /rps=[0-9.]+/); r = substr($4, RSTART + 4, RLENGTH - 4) }
    $1 == "pair-base" {
      for (i = 0; i < np; i++) ratio[pt[i], nr[pt[i]]++] = pv[i] / ((last + r) / 2)
      np = 0; last = r; base[nb++] = r; next
    }
    $1 ~ /^pair-/ {
      t = substr($1, 6); if (!(t in ns)) order[no++] = t
      s[t, ns[t]++] = r; pt[np] = t; pv[np++] = r
    }
    # One target: its ratios to the baseline samples either side (range, median); LIST=1 prints its figures first.
    function summary(label, t, list,   i, a, n, median) {
      if (list) { printf ", %s", label; for (i = 0; i < ns[t]; i++) printf " %.0f", s[t, i] }
      n = nr[t]
      for (i = 0; i < n; i++) a[i] = ratio[t, i]
      median = sort_median(a, n)
      printf "%s\t%.6f\n", t, median > out
      med[t] = median
      return sprintf("%s / baseline either side: %.2f to %.2f, median %.2f", label, a[0], a[n - 1], median)
    }
    END {
      printf "paired 64 x %s (baseline and service in turn, the others frozen): baseline", batch
      for (i = 0; i < nb; i++) printf " %.0f", base[i]
      lines = "  " summary("service", "svc", 1) "\n"
      if (ns["nrm"] > 0) lines = lines "  " summary("service with Durability=Normal", "nrm", 1) "\n"
      printf " requests/s\n%s", lines
      for (k = 0; k < no; k++) {
        if (order[k] !~ /^v-/) continue
        line = summary("variant " substr(order[k], 3), order[k], 0)
        printf "  %s; ÷ the service'"'"'s median %.2f (", line, med[order[k]] / med["svc"]
        for (i = 0; i < ns[order[k]]; i++) printf "%s%.0f", (i ? " " : ""), s[order[k], i]
        printf " requests/s)\n"
      }
    }' "$RESULTS"
fi
echo
awk -v p50="$(field p50_us "$HANDSHAKE")" -v p99="$(field p99_us "$HANDSHAKE")" -v max="$(field max_us "$HANDSHAKE")" -v rps="$(field rps "$HANDSHAKE")" \
  'BEGIN { printf "handshake (?validationToken=, 64 connections): p50 %.2f ms, p99 %.2f ms, max %.1f ms, %.0f requests/s\n", p50/1000, p99/1000, max/1000, rps }'
awk -v p50="$(field p50_ms "$E2E")" -v p99="$(field p99_ms "$E2E")" -v max="$(field max_ms "$E2E")" -v n="$(field n "$E2E")" \
  'BEGIN { printf "end to end (emulator send -> handler start, %d changes): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", n, p50, p99, max }'
awk -v backlog="$(field backlog "$DRAIN")" -v n="$(field handled "$DRAIN")" -v secs="$(field seconds "$DRAIN")" -v rate="$(field rate "$DRAIN")" -v left="$(field left "$DRAIN")" \
  'BEGIN { printf "handling after the runs: backlog %d items, %d handled in %.1f s (%d/s), %d left\n", backlog, n, secs, rate, left }'
awk -v kb="$VMHWM_KB" 'BEGIN { printf "service peak working set (VmHWM) over all service runs: %.0f MB\n", kb/1024 }'
echo "inbox rounds under 64 x 1 (the service's ChangeNotifications.Inbox meter, dotnet-counters, 10 s): $ROUNDS"

# With BENCH_VARIANTS: the builds side by side. "vs service" is a variant's median paired ratio ÷ the service's, from
# the same run (the A/B figure); the half-rate p99 is the service's median over its samples, a variant's one sample.
if (( ${#VARIANT_NAMES[@]} > 0 )); then
  for name in "${STARTED_VARIANTS[@]}"; do
    [[ "$name" != pg && "$name" != naive ]] || continue
    d="${VARIANT_DRAIN[$name]:-}"
    awk -v name="$name" -v backlog="$(field backlog "$d")" -v n="$(field handled "$d")" -v secs="$(field seconds "$d")" -v rate="$(field rate "$d")" -v left="$(field left "$d")" \
      'BEGIN { printf "handling after the runs, variant %s: backlog %d items, %d handled in %.1f s (%d/s), %d left\n", name, backlog, n, secs, rate, left }'
  done
  row() { awk -F'\t' -v t="$1" -v c="$2" -v b="$3" '$1 == t && $2 == c && $3 == b { print $4; exit }' "$RESULTS"; }
  half_p99() {
    awk -F'\t' -v t="$1" "$SORT_MEDIAN"'
      $1 == t { match($4, /p99_us=[0-9.]+/); v[n++] = substr($4, RSTART + 7, RLENGTH - 7) / 1000 }
      END { if (n > 0) printf "%.2f", sort_median(v, n) }' "$RESULTS"
  }
  paired() { [[ -f "$WORK/paired.tsv" ]] && awk -F'\t' -v t="$1" '$1 == t { print $2 }' "$WORK/paired.tsv"; }
  SVC_PAIRED="$(paired svc || true)"
  # summary_row TARGET ROWS HALF PAIRED DRAIN: one line of the table (a figure that was not measured shows as -).
  summary_row() {
    local one hundred
    one="$(row "$2" 64 1)"; hundred="$(row "$2" 64 100)"
    awk -v t="$1" -v ratio="$4" -v svc="$SVC_PAIRED" -v rps="$(field rps "$one")" -v rps100="$(field rps "$hundred")" \
        -v p99="$(field p99_us "$hundred")" -v half="$3" -v drain="$(field rate "$5")" '
      function cell(v, fmt) { return v == "" ? "-" : sprintf(fmt, v) }
      BEGIN { printf "| %-10s | %11s | %10s | %9s | %14s | %13s | %16s | %13s |\n", t, cell(ratio, "%.2f"),
                (ratio == "" || svc == "" ? "-" : sprintf("%.2f", ratio / svc)), cell(rps, "%.0f"),
                (rps100 == "" ? "-" : sprintf("%.0f", rps100 * 100)), (p99 == "" ? "-" : sprintf("%.2f", p99 / 1000)),
                cell(half, "%s"), cell(drain, "%d") }'
  }
  echo
  echo "builds side by side (64 x $PAIR_BATCH paired ratio, in the 64x1 paired column: median of the samples ÷ the baseline either side; vs service: that ÷ the service's)"
  echo
  printf '| %-10s | %11s | %10s | %9s | %14s | %13s | %16s | %13s |\n' target "64x1 paired" "vs service" "64x1 rps" "64x100 notif/s" "64x100 p99 ms" "half-rate p99 ms" "drain notif/s"
  printf '|%s|\n' "------------|-------------|------------|-----------|----------------|---------------|------------------|---------------"
  summary_row service service "$(half_p99 svc-half)" "$SVC_PAIRED" "$DRAIN"
  for name in "${STARTED_VARIANTS[@]}"; do
    summary_row "$name" "$name" "$(half_p99 "$name-half")" "$(paired "v-$name" || true)" "${VARIANT_DRAIN[$name]:-}"
  done
  PG_PAIRED="$(paired v-pg || true)"; NAIVE_PAIRED="$(paired v-naive || true)"
  if [[ -n "$PG_PAIRED" && -n "$NAIVE_PAIRED" ]]; then
    awk -v pg="$PG_PAIRED" -v naive="$NAIVE_PAIRED" -v b="$PAIR_BATCH" \
      'BEGIN { printf "(PostgreSQL store ÷ naive peer, paired 64 x %s medians: %.2f)\n", b, pg / naive }'
  fi
  SERVICE_REF="$(git -C "$ROOT" rev-parse --short HEAD)"
  git -C "$ROOT" diff --quiet HEAD -- src || SERVICE_REF="$SERVICE_REF with local changes"
  printf '(service: this checkout, %s' "$SERVICE_REF"
  for name in "${VARIANT_NAMES[@]}"; do
    printf '; %s: %s' "$name" "${VARIANT_REF[$name]}"
    [[ "${VARIANT_STATE[$name]}" == started ]] || printf ' (%s)' "${VARIANT_STATE[$name]}"
  done
  echo ")"
fi
