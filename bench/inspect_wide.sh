#!/usr/bin/env bash
# bench/inspect_wide.sh — wall time and peak memory of `pgshift inspect` on a wide schema.
#
#   bench/inspect_wide.sh [--db URL] [--tables N] [--runs N] [--pgshift PATH] [--keep] [--reuse]
#
# Creates a fresh database "pgshift_bench_wide" on the server of URL (default: a
# throwaway cluster started with scripts/pg, stopped at the end) holding N tables
# (default 10000) in schema "wide", each with 8 columns, a primary key, two
# indexes, a foreign key to the previous table and a check constraint; then runs
# `pgshift inspect` on it once to warm the caches and --runs times (default 5)
# measured with GNU time, and prints the tables, the minimum and median wall
# time, the largest peak RSS, and the load average (a loaded machine inflates
# wall time: compare binaries in alternating runs). --reuse keeps a database
# left by --keep instead of creating it again.
# Target (issue 4): under 2 s (minimum wall) and under 300 MB for 10,000 tables;
# the last lines say whether each is met. The database is dropped at the end
# unless --keep is given. Without the full CLI, build the stand-in
# (-DPGSHIFT_BENCH=ON, target pgshift_inspect_bench, no sanitizers) and pass it
# with --pgshift.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
URL=""
TABLES=10000
PGSHIFT="$REPO_ROOT/build/cli/pgshift"
RUNS=5
KEEP=0
REUSE=0
TARGET_WALL_S=2
TARGET_RSS_MB=300
while [ $# -gt 0 ]; do
  case "$1" in
    --db) URL=$2; shift 2 ;;
    --tables) TABLES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --pgshift) PGSHIFT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --reuse) REUSE=1; shift ;;
    *) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -x "$PGSHIFT" ] || { echo "bench: no pgshift binary at $PGSHIFT (use --pgshift)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is required" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive number" >&2; exit 2; }

CLUSTER_DIR=""
DROP_SQL="DROP DATABASE IF EXISTS pgshift_bench_wide"
cleanup() {
  if [ "$KEEP" -eq 0 ] && [ -n "${ADMIN_URL:-}" ]; then
    psql "$ADMIN_URL" -qAt -c "$DROP_SQL" >/dev/null || true
  fi
  if [ -n "$CLUSTER_DIR" ]; then
    "$REPO_ROOT/scripts/pg" stop --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
}
trap cleanup EXIT
if [ -z "$URL" ]; then
  CLUSTER_DIR=$(mktemp -d /tmp/pgshift-bench.XXXXXX)
  chmod 755 "$CLUSTER_DIR"
  URL=$("$REPO_ROOT/scripts/pg" start --dir "$CLUSTER_DIR")
fi
ADMIN_URL=$URL
# WITH (FORCE) ends other sessions on the database; PostgreSQL 13 and later.
if [ "$(psql "$ADMIN_URL" -qAt -c "SHOW server_version_num")" -ge 130000 ]; then
  DROP_SQL="$DROP_SQL WITH (FORCE)"
fi

# The same URL with its database replaced (URI or key=value form).
if [[ "$URL" == postgres://* || "$URL" == postgresql://* ]]; then
  head=${URL%%\?*}; query=""; [[ "$URL" == *\?* ]] && query="?${URL#*\?}"
  authority=${head#*://}; authority=${authority%%/*}
  BENCH_URL="${head%%://*}://$authority/pgshift_bench_wide$query"
else
  BENCH_URL="$URL dbname=pgshift_bench_wide"
fi

if [ "$REUSE" -eq 1 ] && [ "$(psql "$ADMIN_URL" -qAt -c "SELECT count(*) FROM pg_database WHERE datname = 'pgshift_bench_wide'")" = 1 ]; then
  echo "bench: reusing database pgshift_bench_wide" >&2
else
  echo "bench: creating $TABLES tables" >&2
  psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=1 \
    -c "$DROP_SQL" \
    -c "CREATE DATABASE pgshift_bench_wide" >/dev/null
  start=$(date +%s.%N)
  psql "$BENCH_URL" -qAt -v ON_ERROR_STOP=1 -v tables="$TABLES" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA wide;
SELECT format(
  'CREATE TABLE wide.t%1$s (
     id bigint PRIMARY KEY,
     parent_id bigint %2$s,
     name text NOT NULL,
     email character varying(200),
     amount numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT t%1$s_amount_check CHECK (amount >= 0),
     created_at timestamptz NOT NULL DEFAULT now(),
     active boolean NOT NULL DEFAULT true,
     note text);
   CREATE INDEX t%1$s_parent_idx ON wide.t%1$s (parent_id);
   CREATE INDEX t%1$s_created_idx ON wide.t%1$s (created_at DESC, name);',
  g, CASE WHEN g > 1 THEN format('REFERENCES wide.t%s (id)', g - 1) ELSE '' END)
FROM generate_series(1, :tables) g
\gexec
SQL
  echo "bench: schema created in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  psql "$BENCH_URL" -qAt -c "ANALYZE" >/dev/null
fi
TABLES=$(psql "$BENCH_URL" -qAt -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'wide' AND c.relkind = 'r'")

"$PGSHIFT" inspect --db "$BENCH_URL" -o /dev/null  # warm-up
walls=()
max_rss=0
for run in $(seq "$RUNS"); do
  stats=$(/usr/bin/time -f "%e %M" "$PGSHIFT" inspect --db "$BENCH_URL" -o /dev/null 2>&1 >/dev/null | tail -1)
  wall=${stats% *}
  rss=${stats#* }
  echo "bench: run $run: ${wall} s, peak RSS $((rss / 1024)) MB" >&2
  walls+=("$wall")
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
done
mapfile -t sorted < <(printf '%s\n' "${walls[@]}" | sort -n)
min_wall=${sorted[0]}
median_wall=${sorted[$(( (RUNS - 1) / 2 ))]}
rss_mb=$((max_rss / 1024))
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "inspect_wide tables=$TABLES runs=$RUNS wall_min_s=$min_wall wall_median_s=$median_wall peak_rss_mb=$rss_mb load=\"$load\" cores=$(nproc)"
wall_ok=$(echo "$min_wall < $TARGET_WALL_S" | bc)
rss_ok=$([ "$rss_mb" -lt "$TARGET_RSS_MB" ] && echo 1 || echo 0)
scope=""
[ "$TABLES" -lt 10000 ] && scope="; the targets are set for 10000 tables"
verdict() { [ "$1" -eq 1 ] && echo "met" || echo "NOT met"; }
echo "target wall < ${TARGET_WALL_S} s: $(verdict "$wall_ok") (min ${min_wall} s, median ${median_wall} s$scope)"
echo "target peak RSS < ${TARGET_RSS_MB} MB: $(verdict "$rss_ok") (largest ${rss_mb} MB$scope)"
