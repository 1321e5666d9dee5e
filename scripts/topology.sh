#!/usr/bin/env bash
# The scale-out topology on one machine, loopback only: PostgreSQL (from the installed binaries, initdb into a folder),
# the Graph emulator as a process of its own (one tenant for every instance), N service instances sharing both, and
# nginx in front. Graph (the emulator) posts to nginx, nginx to the instances.
#
#   scripts/topology.sh start              build, then start everything (PIDs in $TOPOLOGY_DIR/run)
#   scripts/topology.sh stop               stop everything this script started, by PID
#   scripts/topology.sh status             what runs, each instance's health, who holds the leader lease
#   scripts/topology.sh kill N             SIGKILL instance N (1-based): no shutdown, its lock and claims are left behind
#   scripts/topology.sh start-instance N   start instance N again on its port
#
# Settings (environment): TOPOLOGY_DIR (.topology), TOPOLOGY_INSTANCES (3), TOPOLOGY_FIRST_PORT (5101: instances on
# 5101, 5102, ...) or TOPOLOGY_INSTANCE_PORTS (one port per instance, space-separated), TOPOLOGY_LB_PORT (8088), TOPOLOGY_PG_PORT (55432), TOPOLOGY_EMULATOR_PORT (5443),
# TOPOLOGY_EMULATOR_PACE (seconds between generated changes per subscription, 3; 0: only on demand),
# TOPOLOGY_EMULATOR_ARGS (more arguments for the emulator),
# TOPOLOGY_CONFIGURATION (Release), TOPOLOGY_NO_BUILD=1 (use the built output as it is), TOPOLOGY_PG_BIN (the newest
# /usr/lib/postgresql/*/bin). Any other service setting passes through the environment (e.g. Subscriptions__Items__0__…).
# Needs: the .NET SDK, PostgreSQL's server binaries (Debian: postgresql-15) and nginx (Debian: nginx).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "${TOPOLOGY_DIR:-$repo/.topology}" && cd "${TOPOLOGY_DIR:-$repo/.topology}" && pwd)
run="$dir/run"
instances=${TOPOLOGY_INSTANCES:-3}
first_port=${TOPOLOGY_FIRST_PORT:-5101}
lb_port=${TOPOLOGY_LB_PORT:-8088}
pg_port=${TOPOLOGY_PG_PORT:-55432}
emulator_port=${TOPOLOGY_EMULATOR_PORT:-5443}
pace=${TOPOLOGY_EMULATOR_PACE:-3}
configuration=${TOPOLOGY_CONFIGURATION:-Release}
bin="$repo/src/ChangeNotifications/bin/$configuration/net10.0"
pg_bin=${TOPOLOGY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
database=changenotifications
connection="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database"

mkdir -p "$run"

port_of() { # instance number (1-based) -> its port
  if [ -n "${TOPOLOGY_INSTANCE_PORTS:-}" ]; then echo "$TOPOLOGY_INSTANCE_PORTS" | tr -s ' ' '\n' | sed -n "${1}p"; else echo $((first_port + $1 - 1)); fi
}

alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

# initdb refuses to run as root: as root, PostgreSQL runs as the postgres user.
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Healthy, or gone: a process that exited stops the wait at once (its log says why).
healthy() { alive "$1" || return 0; curl -fsS -o /dev/null "$2"; }

wait_for() { # description, seconds, command...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "topology: $what did not come up within ${seconds} s" >&2
  return 1
}

start_postgres() {
  [ -x "$pg_bin/initdb" ] || { echo "topology: PostgreSQL binaries not found (apt-get install postgresql-15, or set TOPOLOGY_PG_BIN)" >&2; exit 1; }
  local data="$dir/pg/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$dir/pg"
    # As root the server runs as postgres, which must reach its folder (temp folders are often private).
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/pg"; chmod a+x "$dir"; fi
    as_postgres "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log"
  fi
  as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$dir/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=200" start >/dev/null
  head -n 1 "$data/postmaster.pid" >"$run/postgres.pid"
  if ! "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$database"
  fi
  echo "postgres    pid $(cat "$run/postgres.pid")  127.0.0.1:$pg_port/$database"
}

start_emulator() {
  local args=(--port "$emulator_port" --state "$dir/graph-emulator.json")
  [ "$pace" != 0 ] && args+=(--pace-seconds "$pace")
  # Extra emulator arguments, e.g. "--slow-ratio 2 --drop-ratio 2" for a load test (Graph's thresholds off).
  read -r -a extra <<<"${TOPOLOGY_EMULATOR_ARGS:-}"
  args+=("${extra[@]}")
  dotnet "$bin/ChangeNotifications.GraphEmulator.dll" "${args[@]}" >"$dir/emulator.log" 2>&1 &
  echo $! >"$run/emulator.pid"
  wait_for "the Graph emulator" 30 grep -q 'SHA-256:' "$dir/emulator.log"
  sed -n 's/.*SHA-256: *\([0-9A-Fa-f]\{64\}\).*/\1/p' "$dir/emulator.log" | head -n 1 >"$run/emulator.sha256"
  echo "emulator    pid $(cat "$run/emulator.pid")  https://127.0.0.1:$emulator_port/"
}

start_instance() { # 1-based
  local n=$1 port; port=$(port_of "$1")
  # Every instance: the shared database and emulator, Graph posting through the balancer, its own port.
  ( cd "$bin" && exec env \
      Urls="http://127.0.0.1:$port" \
      Storage__Provider=Postgres \
      ConnectionStrings__ChangeNotifications="$connection" \
      Graph__Mode=Emulator \
      Graph__Emulator__Url="https://127.0.0.1:$emulator_port/" \
      Graph__Emulator__CertificateSha256="$(cat "$run/emulator.sha256")" \
      Subscriptions__NotificationUrl="http://127.0.0.1:$lb_port/api/notifications" \
      dotnet ChangeNotifications.dll >>"$dir/instance-$n.log" 2>&1 ) &
  echo $! >"$run/instance-$n.pid"
  wait_for "instance $n (log: $dir/instance-$n.log)" 60 healthy "instance-$n" "http://127.0.0.1:$port/health"
  alive "instance-$n" || { echo "topology: instance $n exited (log: $dir/instance-$n.log)" >&2; tail -n 5 "$dir/instance-$n.log" >&2; return 1; }
  echo "instance $n  pid $(cat "$run/instance-$n.pid")  http://127.0.0.1:$port/"
}

start_balancer() {
  mkdir -p "$dir/nginx/tmp"
  local servers=""
  for n in $(seq "$instances"); do
    servers+="        server 127.0.0.1:$(port_of "$n") max_fails=1 fail_timeout=5s;"$'\n'
  done
  cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $run/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    upstream changenotifications {
$servers        keepalive 32;      # kept under Kestrel's keep-alive timeout (nginx: 60 s, Kestrel: 130 s)
    }
    server {
        listen 127.0.0.1:$lb_port;
        client_max_body_size 4m;   # Receiving:MaxBodyBytes answers larger bodies itself (413)
        location / {
            proxy_pass http://changenotifications;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
            # POST-safe: a request goes to another instance only when none received it (connection refused, connect
            # timeout). Without non_idempotent nginx never resends a POST an instance may have stored: that instance's
            # 202 is neither doubled nor lost; the client gets 502 and Graph redelivers.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries $instances;   # a refused connection costs nothing: every instance may be tried
            proxy_next_upstream_timeout 2s;
        }
    }
}
EOF
  nginx -t -q -p "$dir/nginx/" -c nginx.conf
  nginx -p "$dir/nginx/" -c nginx.conf -g 'daemon off;' >"$dir/nginx/stdout.log" 2>&1 &
  echo $! >"$run/nginx.pid"
  wait_for "nginx" 10 curl -sS -o /dev/null "http://127.0.0.1:$lb_port/health"
  echo "balancer    pid $(cat "$run/nginx.pid")  http://127.0.0.1:$lb_port/  (Graph posts to http://127.0.0.1:$lb_port/api/notifications)"
}

stop_pid() { # name, signal
  alive "$1" || { rm -f "$run/$1.pid"; return 0; }
  local pid; pid=$(cat "$run/$1.pid")
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run/$1.pid"
}

case "${1:-}" in
  start)
    if [ "${TOPOLOGY_NO_BUILD:-}" != 1 ]; then
      dotnet build "$repo/src/ChangeNotifications/ChangeNotifications.csproj" -c "$configuration" -nologo -v quiet >/dev/null
    fi
    alive postgres || start_postgres
    alive emulator || start_emulator
    # The balancer first: the first leader's validation handshake already comes through it.
    alive nginx || start_balancer
    for n in $(seq "$instances"); do alive "instance-$n" || start_instance "$n"; done
    ;;
  stop)
    stop_pid nginx QUIT
    for f in "$run"/instance-*.pid; do [ -e "$f" ] && stop_pid "$(basename "$f" .pid)"; done
    stop_pid emulator
    if alive postgres; then as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null; fi
    rm -f "$run/postgres.pid"
    ;;
  status)
    for name in postgres emulator nginx $(for n in $(seq "$instances"); do echo "instance-$n"; done); do
      if alive "$name"; then state="up (pid $(cat "$run/$name.pid"))"; else state=down; fi
      case "$name" in instance-*)
        n=${name#instance-}
        health=$(curl -s -m 2 "http://127.0.0.1:$(port_of "$n")/health" || echo -)
        leads=$(grep -c 'Leader lease acquired' "$dir/$name.log" 2>/dev/null || true)
        lost=$(grep -c 'Leader lease lost\|Leader lease released' "$dir/$name.log" 2>/dev/null || true)
        state+="  health: $health  leader lease: acquired ${leads:-0}x, lost or released ${lost:-0}x";;
      esac
      printf '%-11s %s\n' "$name" "$state"
    done
    ;;
  kill)
    stop_pid "instance-${2:?instance number}" KILL
    ;;
  start-instance)
    start_instance "${2:?instance number}"
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
