#!/usr/bin/env bash
# Benchmarks the service against a bare Kestrel baseline, in one run on this machine, over loopback.
#   tests/ChangeNotifications.Benchmarks/run.sh            (BENCH_DURATION=10s BENCH_WARMUP=2s by default)
# Prints a table of requests/s, notifications/s, p50/p99/max latency and the service ÷ baseline ratio at 1 and
# 64 connections for batches of 1 and 100 notifications (the baseline's 64 x 1 row is run again at the end, base-end,
# and that ratio is against the mean of both), then the handshake latency, the end-to-end latency
# (emulator send -> handler start), how fast the backlog left by the runs is handled and the service's peak working
# set (VmHWM). See BENCHMARKS.md.
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

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
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
start() {
  local name="$1" dir="$2" dll="$3"; shift 3
  local out="$WORK/$name.log"
  (cd "$dir" && exec env "$@" dotnet "$dll" --urls "http://127.0.0.1:${PORT:-0}" >"$out" 2>&1) &
  PID=$!; PIDS+=("$PID")
  for _ in $(seq 1 300); do
    URL="$(grep 'Now listening on' "$out" | grep -oE 'http://127\.0\.0\.1:[0-9]+' | head -1 || true)"
    [[ -n "$URL" ]] && { log "$name listening on $URL (pid $PID)"; return; }
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$out" >&2; echo "$name exited during start-up" >&2; exit 1; }
    sleep 0.1
  done
  tail -n 30 "$out" >&2; echo "$name did not start within 30 s" >&2; exit 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# BENCH_SERVICE_SETTINGS="Key__Sub=value ..." adds settings to the service (for profiling, e.g. Dispatcher__Enabled=false);
# BENCH_SKIP_BASELINE=1 skips the baseline (the ratio column is then empty).
# measure TARGET CONNS BATCH URL: a warm-up then a timed wrk run; appends a row to $RESULTS.
measure() {
  local target="$1" conns="$2" batch="$3" url="$4" threads=1 line
  (( conns > 1 )) && threads=2
  export BENCH_LUA_DIR="$BENCH_DIR/lua" BENCH_DATA="$WORK/data.lua" BENCH_BATCH="$batch"
  BENCH_RUN="w$target$conns-$batch" wrk -t "$threads" -c "$conns" -d "$WARMUP" --timeout 5s -s "$BENCH_DIR/lua/notify.lua" "$url" >/dev/null
  line="$(BENCH_RUN="r$target$conns-$batch" wrk -t "$threads" -c "$conns" -d "$DURATION" --timeout 5s -s "$BENCH_DIR/lua/notify.lua" "$url" | grep '^RESULT')"
  log "$target c=$conns batch=$batch: $line"
  printf '%s\t%s\t%s\t%s\n' "$target" "$conns" "$batch" "$line" >>"$RESULTS"
}

field() { sed -nE "s/.*[[:space:]]$1=([0-9.]+).*/\1/p" <<<"$2"; }

install_wrk
log "building (Release)"
dotnet build "$BENCH_DIR/Baseline/Baseline.csproj" -c Release -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$BENCH_DIR/Driver/Driver.csproj" -c Release -v q -nologo >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
BASELINE_BIN="$BENCH_DIR/Baseline/bin/Release/net10.0"
SERVICE_BIN="$ROOT/src/ChangeNotifications/bin/Release/net10.0"
DRIVER_DLL="$BENCH_DIR/Driver/bin/Release/net10.0/ChangeNotifications.Benchmarks.Driver.dll"

dotnet "$DRIVER_DLL" seed --db "$WORK/service.db" --lua "$WORK/data.lua" --subscriptions 8 >&2

if [[ -z "${BENCH_SKIP_BASELINE:-}" ]]; then
  start baseline "$BASELINE_BIN" Baseline.dll
  for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure baseline "$c" "$b" "$URL"; done; done
  stop "$PID"
fi

# The service as shipped (Storage:Durability Full, the dispatcher and its handlers running against the in-process
# Graph emulator), on its own SQLite file; Reconcile=false makes it a receiver-only instance
# (no subscriptions created or deleted; the NotificationUrl only satisfies validation of the configured items): it serves the seeded ones and the emulator generates no changes of its own.
start service "$SERVICE_BIN" ChangeNotifications.dll \
  Storage__SqlitePath="$WORK/service.db" Subscriptions__Reconcile=false \
  Subscriptions__NotificationUrl=http://127.0.0.1:9/api/notifications ${BENCH_SERVICE_SETTINGS:-}
SERVICE_PID=$PID; SERVICE_URL=$URL
for c in "${CONNECTIONS[@]}"; do for b in "${BATCHES[@]}"; do measure service "$c" "$b" "$SERVICE_URL"; done; done

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

# The baseline's 64 x 1 row again, after the service: this machine's speed drifts within minutes (the same build
# measured 55-77 k/s within an hour), so the headline ratio is taken against the mean of the runs before and after.
if [[ -z "${BENCH_SKIP_BASELINE:-}" ]]; then
  start baseline "$BASELINE_BIN" Baseline.dll
  measure base-end 64 1 "$URL"
  stop "$PID"
fi

echo
echo "ChangeNotifications benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), wrk $DURATION per run (after $WARMUP warm-up), loopback"
echo
printf '| %-8s | %5s | %5s | %10s | %10s | %8s | %8s | %8s | %8s | %8s |\n' target conns batch "requests/s" "notif/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "÷ base"
printf '|%s|\n' "----------|-------|-------|------------|------------|----------|----------|----------|----------|----------"
while IFS=$'\t' read -r target conns batch line; do
  rps="$(field rps "$line")"
  base_line="$(awk -F'\t' -v c="$conns" -v b="$batch" '$1=="baseline" && $2==c && $3==b {print $4}' "$RESULTS")"
  base_rps="$(field rps "$base_line")"
  after_line="$(awk -F'\t' -v c="$conns" -v b="$batch" '$1=="base-end" && $2==c && $3==b {print $4}' "$RESULTS")"
  if [[ -n "$after_line" && -n "$base_rps" ]]; then
    # Against the mean of the baseline before and after the service (base-end); the baseline rows stay 1.00.
    [[ "$target" == base* ]] || base_rps="$(awk -v a="$base_rps" -v b="$(field rps "$after_line")" 'BEGIN { print (a + b) / 2 }')"
    [[ "$target" == base-end ]] && base_rps="$(field rps "$line")"
  fi
  awk -v t="$target" -v c="$conns" -v b="$batch" -v rps="$rps" -v base="$base_rps" \
      -v p50="$(field p50_us "$line")" -v p99="$(field p99_us "$line")" -v max="$(field max_us "$line")" \
      -v bad="$(( $(field non2xx "$line") + $(field timeouts "$line") + $(field socket_errors "$line") ))" \
      'BEGIN { ratio = base > 0 ? sprintf("%8.2f", rps/base) : "       -"
               printf "| %-8s | %5d | %5d | %10.0f | %10.0f | %8.2f | %8.2f | %8.1f | %8d | %s |\n", t, c, b, rps, rps*b, p50/1000, p99/1000, max/1000, bad, ratio }'
done <"$RESULTS"
if grep -q '^base-end' "$RESULTS"; then
  echo "(base-end: the baseline's 64 x 1 row again after the service runs; the service's 64 x 1 ratio is against the mean of both)"
fi
echo
awk -v p50="$(field p50_us "$HANDSHAKE")" -v p99="$(field p99_us "$HANDSHAKE")" -v max="$(field max_us "$HANDSHAKE")" -v rps="$(field rps "$HANDSHAKE")" \
  'BEGIN { printf "handshake (?validationToken=, 64 connections): p50 %.2f ms, p99 %.2f ms, max %.1f ms, %.0f requests/s\n", p50/1000, p99/1000, max/1000, rps }'
awk -v p50="$(field p50_ms "$E2E")" -v p99="$(field p99_ms "$E2E")" -v max="$(field max_ms "$E2E")" -v n="$(field n "$E2E")" \
  'BEGIN { printf "end to end (emulator send -> handler start, %d changes): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", n, p50, p99, max }'
awk -v backlog="$(field backlog "$DRAIN")" -v n="$(field handled "$DRAIN")" -v secs="$(field seconds "$DRAIN")" -v rate="$(field rate "$DRAIN")" -v left="$(field left "$DRAIN")" \
  'BEGIN { printf "handling after the runs: backlog %d items, %d handled in %.1f s (%d/s), %d left\n", backlog, n, secs, rate, left }'
awk -v kb="$VMHWM_KB" 'BEGIN { printf "service peak working set (VmHWM) over all service runs: %.0f MB\n", kb/1024 }'
