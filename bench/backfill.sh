#!/usr/bin/env bash
# bench/backfill.sh [--rows N] [--runs N] [--pgshift PATH] [--pg MAJOR] [--no-standby]
#                   [--no-tables] [--no-traffic] [--keep DIR]
#
# Backfills a new NOT NULL column with a volatile default (md5(random()::text))
# with `pgshift apply` on four tables of N rows (default 1,000,000):
#   (a) integer primary key   (b) uuid primary key
#   (c) composite key (integer, integer)   (d) no key (by blocks)
# and prints, per table, the backfill's rows/s (from apply --json-log) against
# one `UPDATE` of the whole table on an identical copy, in the same run:
# --runs times (default 3), alternating which of the two goes first, each
# after a CHECKPOINT (so that none starts inside a measurement); it prints
# the medians of both rates and of the per-run ratios, and the traffic's
# worst figures over the runs. Each run also backfills with --max-wal-rate 0:
# the default WAL limit (64 MB/s) holds the batches back by design, and this
# shows what the batches themselves cost.
# Then, unless --no-standby, it starts a streaming standby on loopback
# (pg_basebackup into a second data directory) and backfills table (b) twice,
# with --max-replica-lag 0 (unpaced) and 1s, printing the standby's largest
# replay lag (pg_stat_replication, sampled every 100 ms) for each; then
# twice more while the standby stops replaying for 5 s once the backfill has
# begun (pg_wal_replay_pause on the standby), printing the WAL the primary
# wrote during the stall and how long pgshift paused for replica_lag.
# --no-tables skips the four tables and measures the standby's lag only.
#
# Unless --no-traffic, traffic runs against the table during each backfill
# and each UPDATE of tables (a) to (c): pgbench, 4 clients at 200
# transactions/s in all, each transaction one UPDATE of a random row by its
# key; the script prints the traffic's p99 and longest latency (from
# pgbench's per-transaction log; the latency counts from the transaction's
# scheduled start, so a stalled client's waiting shows) and how many took over
# 250 ms and over 1 s. Table (d) has no key to address a row: no traffic.
#
# A throwaway server is started with scripts/pg (loopback only) and stopped at
# the end, with the standby.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/.." && pwd -P)
die() { echo "bench/backfill.sh: error: $*" >&2; exit 1; }

ROWS=1000000
RUNS=3
PGSHIFT="$REPO/build/cli/pgshift"
MAJOR=15
STANDBY=1
TABLES=1
TRAFFIC=1
KEEP=""
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --pgshift) PGSHIFT=$2; shift 2 ;;
    --pg) MAJOR=$2; shift 2 ;;
    --no-standby) STANDBY=0; shift ;;
    --no-tables) TABLES=0; shift ;;
    --no-traffic) TRAFFIC=0; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    -h|--help) sed -n '2,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$PGSHIFT" ] || die "no pgshift binary at $PGSHIFT (build it, or pass --pgshift)"
BIN=/usr/lib/postgresql/$MAJOR/bin
export PATH="$BIN:$PATH"

WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
PRIMARY_DIR="$WORK/primary"
STANDBY_DATA="$WORK/standby"
# As root, the servers run as scripts/pg's unprivileged user.
as_server_user() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u pgshift-pg -- "$@"); else "$@"; fi
}
cleanup() {
  [ -f "$STANDBY_DATA/postmaster.pid" ] && as_server_user pg_ctl -D "$STANDBY_DATA" -m immediate stop >/dev/null 2>&1 || true
  "$REPO/scripts/pg" stop --dir "$PRIMARY_DIR" >/dev/null 2>&1 || true
  [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT

URL=$("$REPO/scripts/pg" start --dir "$PRIMARY_DIR" --pg "$MAJOR" | tail -1)
HOSTPORT=${URL#postgresql://pgshift@}
HOSTPORT=${HOSTPORT%%/*}
PORT=${HOSTPORT##*:}
psql_do() { psql -X -q -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
psql_do -c "CREATE DATABASE bench" >/dev/null
DB="${URL%/*}/bench"
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# The table of case $1 named $2, with $ROWS rows, analyzed.
create_table() {
  local kind=$1 name=$2
  case $kind in
    a) sql -c "CREATE TABLE $name (id bigint PRIMARY KEY, n integer NOT NULL);
               INSERT INTO $name SELECT g, g FROM generate_series(1, $ROWS) g" ;;
    b) sql -c "CREATE TABLE $name (id uuid PRIMARY KEY, n integer NOT NULL);
               INSERT INTO $name SELECT md5(g::text)::uuid, g FROM generate_series(1, $ROWS) g" ;;
    c) sql -c "CREATE TABLE $name (tenant integer, seq integer, n integer NOT NULL,
                 PRIMARY KEY (tenant, seq));
               INSERT INTO $name SELECT g % 1000, g, g FROM generate_series(1, $ROWS) g" ;;
    d) sql -c "CREATE TABLE $name (n integer NOT NULL);
               INSERT INTO $name SELECT g FROM generate_series(1, $ROWS) g" ;;
  esac
  sql -c "VACUUM ANALYZE $name"
  sql -c "CHECKPOINT"
}

# The desired state: table t of case $1 with the new column.
desired_yaml() {
  local columns key=""
  case $1 in
    a) columns="          id: { type: bigint, nullable: false }"; key="        primary_key: [id]" ;;
    b) columns="          id: { type: uuid, nullable: false }"; key="        primary_key: [id]" ;;
    c) columns="          tenant: { type: integer, nullable: false }
          seq: { type: integer, nullable: false }"; key="        primary_key: [tenant, seq]" ;;
    d) columns="" ;;
  esac
  cat <<EOF
schemas:
  public:
    tables:
      t:
$key
        columns:
$columns
          n: { type: integer, nullable: false }
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
EOF
}

# Traffic on table $2 of case $1 while it is changed: starts pgbench in the
# background (nothing for case d); traffic_stop ends it (SIGALRM: pgbench
# ends as when its -T expires, its logs complete) and writes
# "p99_ms max_ms over_250ms over_1s transactions" to $WORK/traffic (not in a
# subshell: pgbench is this shell's child).
TRAFFIC_PID=""
traffic_start() {
  local kind=$1 table=$2 where
  TRAFFIC_PID=""
  [ "$TRAFFIC" = 1 ] || return 0
  case $kind in
    a) where="id = :g" ;;
    b) where="id = md5(:g::text)::uuid" ;;
    c) where="tenant = :g % 1000 AND seq = :g" ;;
    *) return 0 ;;
  esac
  printf '\\set g random(1, %s)\nUPDATE %s SET n = n + 1 WHERE %s;\n' "$ROWS" "$table" "$where" \
    >"$WORK/traffic.sql"
  rm -f "$WORK"/traffic_log*
  pgbench -n -M simple -f "$WORK/traffic.sql" -c 4 -j 2 -R 200 -T 86400 -l \
    --log-prefix="$WORK/traffic_log" "$DB" >"$WORK/pgbench.out" 2>&1 &
  TRAFFIC_PID=$!
  sleep 1
}
traffic_stop() {
  [ -n "$TRAFFIC_PID" ] || { echo "- - - - -" >"$WORK/traffic"; return 0; }
  kill -ALRM "$TRAFFIC_PID"
  wait "$TRAFFIC_PID" || { cat "$WORK/pgbench.out" >&2; die "pgbench failed"; }
  python3 - "$WORK"/traffic_log* >"$WORK/traffic" <<'EOF'
import sys
latencies = sorted(int(line.split()[2]) / 1000.0 for name in sys.argv[1:] for line in open(name))
if not latencies:
    print("- - - - 0")
else:
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{p99:.0f} {latencies[-1]:.0f} {sum(l > 250 for l in latencies)} "
          f"{sum(l > 1000 for l in latencies)} {len(latencies)}")
EOF
}

# Runs the backfill of case $1 on a fresh table t with extra apply flags,
# under traffic; prints the backfill's rows/s and the traffic's figures.
pgshift_backfill() {
  local kind=$1; shift
  sql -c "DROP TABLE IF EXISTS t; DROP SCHEMA IF EXISTS _pgshift CASCADE" 2>/dev/null
  create_table "$kind" t
  desired_yaml "$kind" | sed '/^$/d' >"$WORK/desired.yaml"
  rm -f "$WORK/log.json"
  traffic_start "$kind" t
  "$PGSHIFT" apply --db "$DB" --schema "$WORK/desired.yaml" --yes --json-log "$WORK/log.json" \
    "$@" >"$WORK/apply.log" 2>&1 || { cat "$WORK/apply.log" >&2; die "pgshift apply failed"; }
  traffic_stop
  python3 - "$WORK/log.json" <<'EOF'
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if '"backfill_done"' in l]
print(f"{done[-1]['rows_per_s']:.0f}", end=" ")
EOF
  cat "$WORK/traffic"
}

# One UPDATE of the whole table on a fresh copy; prints rows/s.
one_update() {
  local kind=$1
  sql -c "DROP TABLE IF EXISTS u" 2>/dev/null
  create_table "$kind" u
  sql -c "ALTER TABLE u ADD COLUMN tag text"
  sql -c "CHECKPOINT"
  local start end
  traffic_start "$kind" u
  start=$(date +%s.%N)
  sql -c "UPDATE u SET tag = md5(random()::text)"
  end=$(date +%s.%N)
  traffic_stop
  sql -c "DROP TABLE u"
  python3 -c "print(f'{$ROWS / ($end - $start):.0f}', end=' ')"
  cat "$WORK/traffic"
}

echo "backfill of a NOT NULL column with a volatile default, $ROWS rows, PostgreSQL $MAJOR"
echo "medians of $RUNS runs (alternating which goes first); ratio: median of the runs' ratios"
[ "$TRAFFIC" = 1 ] && echo "traffic (a)-(c): 200 single-row UPDATEs/s by key, 4 clients; worst p99 / longest latency in ms over the runs, transactions over 250 ms and over 1 s in all runs"
[ "$TABLES" = 1 ] && printf '%-22s %12s %12s %6s   %-24s %-24s\n' table "pgshift r/s" "UPDATE r/s" ratio \
  "traffic during pgshift" "traffic during UPDATE"
for kind in a b c d; do
  [ "$TABLES" = 1 ] || break
  case $kind in
    a) label="(a) integer key" ;; b) label="(b) uuid key" ;;
    c) label="(c) composite key" ;; d) label="(d) no key" ;;
  esac
  : >"$WORK/runs"
  for run in $(seq "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then
      ours=$(pgshift_backfill "$kind"); free=$(pgshift_backfill "$kind" --max-wal-rate 0)
      theirs=$(one_update "$kind")
    else
      theirs=$(one_update "$kind"); free=$(pgshift_backfill "$kind" --max-wal-rate 0)
      ours=$(pgshift_backfill "$kind")
    fi
    echo "$ours | $theirs | $free" >>"$WORK/runs"
  done
  python3 - "$WORK/runs" "$label" <<'EOF'
import statistics, sys
runs = []
for line in open(sys.argv[1]):
    runs.append([part.split() for part in line.split("|")])
def rate(side): return statistics.median(float(r[side][0]) for r in runs)
def ratio(side): return statistics.median(100 * float(r[side][0]) / float(r[1][0]) for r in runs)
def traffic(side):
    rows = [r[side][1:5] for r in runs if r[side][1] != "-"]
    if not rows: return "-"
    return (f"{max(float(x[0]) for x in rows):.0f} / {max(float(x[1]) for x in rows):.0f} "
            f"({sum(int(x[2]) for x in rows)}, {sum(int(x[3]) for x in rows)})")
print(f"{sys.argv[2]:<22} {rate(0):12.0f} {rate(1):12.0f} {ratio(0):5.0f}%   {traffic(0):<24} {traffic(1):<24}")
print(f"  --max-wal-rate 0: {rate(2):.0f} rows/s, {ratio(2):.0f}% of one UPDATE, traffic {traffic(2)}")
print("  runs, pgshift / UPDATE / pgshift --max-wal-rate 0, rows/s: " +
      ", ".join(f"{float(r[0][0]):.0f} / {float(r[1][0]):.0f} / {float(r[2][0]):.0f}" for r in runs))
EOF
done

[ "$STANDBY" = 1 ] || exit 0
STANDBY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
pg_basebackup -h 127.0.0.1 -p "$PORT" -U pgshift -D "$STANDBY_DATA" -R -X stream -c fast >/dev/null
[ "$(id -u)" = 0 ] && chown -R pgshift-pg "$STANDBY_DATA" && chmod 700 "$STANDBY_DATA" && chmod o+x "$WORK"
as_server_user pg_ctl -D "$STANDBY_DATA" -l "$STANDBY_DATA/standby.log" -w \
  -o "-p $STANDBY_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$STANDBY_DATA" \
  start >/dev/null
for _ in $(seq 100); do
  [ "$(sql -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && break
  sleep 0.1
done

# The largest replay lag while a backfill of (b) runs with flags "$@".
lag_during() {
  : >"$WORK/lag"
  rm -f "$WORK/lag.stop"
  ( while [ ! -f "$WORK/lag.stop" ]; do
      sql -c "SELECT coalesce(extract(epoch FROM max(replay_lag)), 0) FROM pg_stat_replication" >>"$WORK/lag"
      sleep 0.1
    done ) &
  local sampler=$!
  local rate
  rate=$(TRAFFIC=0 pgshift_backfill b "$@" | cut -d' ' -f1)
  touch "$WORK/lag.stop"
  wait "$sampler"
  rm -f "$WORK/lag.stop"
  echo "$rate $(sort -g "$WORK/lag" | tail -1)"
}

echo
echo "standby on loopback (pg_basebackup), table (b):"
read -r rate lag < <(lag_during --max-replica-lag 0)
echo "  unpaced (--max-replica-lag 0):  max replay lag ${lag}s, $rate rows/s"
read -r rate lag < <(lag_during --max-replica-lag 1s)
echo "  --max-replica-lag 1s:           max replay lag ${lag}s, $rate rows/s"

# The standby stops replaying for 5 s once the backfill of (b) has begun,
# then resumes; prints the rows/s, the WAL (MB) the primary wrote during the
# stall and the seconds pgshift paused for replica_lag.
standby_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STANDBY_PORT" -U pgshift -d bench "$@"; }
stall_during() {
  rm -f "$WORK/stall"
  # The journal of the previous run would start the stall before this one's
  # backfill has begun.
  sql -c "DROP SCHEMA IF EXISTS _pgshift CASCADE" 2>/dev/null
  ( for _ in $(seq 600); do
      [ "$(sql -c "SELECT coalesce((SELECT max(rows_done) FROM _pgshift.apply_backfills), 0) > 0" 2>/dev/null)" = t ] && break
      sleep 0.1
    done
    standby_sql -c "SELECT pg_wal_replay_pause()" >/dev/null
    from=$(sql -c "SELECT pg_current_wal_lsn()")
    sleep 5
    to=$(sql -c "SELECT pg_current_wal_lsn()")
    standby_sql -c "SELECT pg_wal_replay_resume()" >/dev/null
    sql -c "SELECT round((('$to'::pg_lsn - '$from'::pg_lsn) / 1048576.0)::numeric, 1)" >"$WORK/stall"
  ) &
  local staller=$!
  local rate
  rate=$(TRAFFIC=0 pgshift_backfill b "$@" | cut -d' ' -f1)
  wait "$staller"
  local paused
  paused=$(python3 - "$WORK/apply.log" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
print(f"{sum(float(s) for s in re.findall(r'resumed after ([0-9.]+)s paused [(]replica_lag[)]', text)):.1f}")
EOF
)
  echo "$rate $(cat "$WORK/stall") $paused"
}

echo
echo "standby stops replaying for 5 s during the backfill of (b):"
read -r rate wal paused < <(stall_during --max-replica-lag 0)
echo "  unpaced (--max-replica-lag 0):  ${wal} MB of WAL written during the stall, paused ${paused}s, $rate rows/s"
read -r rate wal paused < <(stall_during --max-replica-lag 1s)
echo "  --max-replica-lag 1s:           ${wal} MB of WAL written during the stall, paused ${paused}s, $rate rows/s"
