#!/usr/bin/env bash
# bench/plan_wide.sh — wall time and peak memory of inspect, plan and drift on a wide schema,
# beside @pgkit/migra's no-op diff of the same database.
#
#   bench/plan_wide.sh [--tables N[,N...]] [--runs N] [--db URL] [--pgshift PATH] [--only LIST]
#                      [--server-settings "-c name=value ..."] [--drop-caches]
#                      [--cluster-dir DIR]
#
# For each table count (default 1000; "--tables 1000,10000" runs both and prints the
# 10k/1k ratios), creates a database "pgshift_bench_plan" on the server of URL (default:
# a throwaway PostgreSQL 15 cluster started with scripts/pg with shared_buffers=1GB,
# stopped at the end) holding
# N tables in schema "wide", each with 9 columns (an identity column), a primary key, a
# check, 2 indexes (one partial and unique), a foreign key to the previous table, one
# row (then VACUUM ANALYZE: a live database's tables hold rows, and work skipped for empty
# tables must not flatter the figures) and, on every tenth table, a comment. It writes
# the YAML with `pgshift inspect`, then
# measures, --runs times each (default 3), in alternating order, with GNU time:
#   inspect       pgshift inspect -o FILE
#   plan_noop     pgshift plan of the YAML inspect wrote (no steps)
#   plan_10       pgshift plan after changing 10 tables (a column, an index, a check)
#   drift         pgshift drift of the YAML inspect wrote
#   migra_noop    @pgkit/migra's diff of the database with itself
# and prints, per command, the median wall time, the largest peak RSS, the ratio of its
# median to migra's, and with two sizes the ratio of the larger to the smaller.
# --only takes a comma list of those names (migra_noop is needed for the ratios).
# --server-settings gives pgshift's sessions those settings (PGOPTIONS), as a server
# configured so would: e.g. "-c max_parallel_workers_per_gather=0 -c work_mem=64kB".
# --drop-caches (root) syncs and drops the kernel's page, dentry and inode caches
# (/proc/sys/vm/drop_caches) once the schema is made, before the first
# measurement: after many databases were created and dropped (a test suite
# run), ext4 looked through the cached inode tables of the deleted files on
# each file created, and CREATE DATABASE took 100 to 300 ms instead of 37.
# That happens within a run too: on an ext4 file system without a journal (this
# project's VMs), the kernel skips inodes deleted in the last minute (or five)
# when it allocates one, looking each up in the cached inode table, and every
# plan_10 creates and drops a scratch database (several hundred files): each
# plan_10 is slower than the one before it. --cluster-dir DIR puts the throwaway
# cluster in DIR (default: a new directory under /tmp), e.g. /dev/shm to measure
# without the file system (a tmpfs has no such search); ignored with --db.
# migra is installed from the npm registry into bench/.node (git-ignored) on first use.
# Results also go to bench/.results/plan_wide-<tables>.txt (git-ignored).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
export PATH=/usr/lib/postgresql/15/bin:$PATH
URL=""
SIZES=1000
RUNS=3
PGSHIFT="$REPO_ROOT/build/cli/pgshift"
ONLY="inspect,plan_noop,plan_10,drift,migra_noop"
SERVER_SETTINGS=""
DROP_CACHES=0
CLUSTER_PARENT=/tmp
MIGRA_VERSION=0.6.1
while [ $# -gt 0 ]; do
  case "$1" in
    --db) URL=$2; shift 2 ;;
    --tables) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --pgshift) PGSHIFT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --server-settings) SERVER_SETTINGS=$2; shift 2 ;;
    --drop-caches) DROP_CACHES=1; shift ;;
    --cluster-dir) CLUSTER_PARENT=$2; shift 2 ;;
    *) sed -n '2,42p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -x "$PGSHIFT" ] || { echo "bench: no pgshift binary at $PGSHIFT (use --pgshift)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is required (apt-get install time)" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive number" >&2; exit 2; }
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a COMMANDS <<<"$ONLY"
for size in "${SIZE_LIST[@]}"; do
  [[ "$size" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --tables takes numbers" >&2; exit 2; }
done

MIGRA="$REPO_ROOT/bench/.node/node_modules/@pgkit/migra/dist/command.js"
if [[ ",$ONLY," == *,migra_noop,* ]] && [ ! -f "$MIGRA" ]; then
  echo "bench: installing @pgkit/migra@$MIGRA_VERSION into bench/.node" >&2
  mkdir -p "$REPO_ROOT/bench/.node"
  npm install --prefix "$REPO_ROOT/bench/.node" --no-audit --no-fund --loglevel=error \
    "@pgkit/migra@$MIGRA_VERSION" >&2
fi

WORK=$(mktemp -d /tmp/pgshift-plan-bench.XXXXXX)
CLUSTER_DIR=""
cleanup() {
  if [ -n "${ADMIN_URL:-}" ]; then
    psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS pgshift_bench_plan WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ -n "$CLUSTER_DIR" ]; then
    "$REPO_ROOT/scripts/pg" stop --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "$URL" ]; then
  [ -d "$CLUSTER_PARENT" ] || { echo "bench: --cluster-dir $CLUSTER_PARENT is not a directory" >&2; exit 2; }
  CLUSTER_DIR=$(mktemp -d "$CLUSTER_PARENT/pgshift-bench.XXXXXX")
  chmod 755 "$CLUSTER_DIR"
  URL=$("$REPO_ROOT/scripts/pg" start --dir "$CLUSTER_DIR")
  # Room for the catalog, as a production server has: 10,000 tables make
  # about 190 MB of catalog, and with the default 128 MB every read fetched
  # catalog pages from the kernel again.
  psql "$URL" -qAt -c "ALTER SYSTEM SET shared_buffers = '1GB'" >/dev/null
  "$REPO_ROOT/scripts/pg" stop --dir "$CLUSTER_DIR" >/dev/null
  URL=$("$REPO_ROOT/scripts/pg" start --dir "$CLUSTER_DIR")
fi
ADMIN_URL=$URL
# The same URL with its database replaced (URI or key=value form).
if [[ "$URL" == postgres://* || "$URL" == postgresql://* ]]; then
  head=${URL%%\?*}; query=""; [[ "$URL" == *\?* ]] && query="?${URL#*\?}"
  authority=${head#*://}; authority=${authority%%/*}
  BENCH_URL="${head%%://*}://$authority/pgshift_bench_plan$query"
else
  BENCH_URL="$URL dbname=pgshift_bench_plan"
fi

create_schema() {
  psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS pgshift_bench_plan WITH (FORCE)" \
    -c "CREATE DATABASE pgshift_bench_plan" >/dev/null
  psql "$BENCH_URL" -qAt -v ON_ERROR_STOP=1 -v tables="$1" >/dev/null <<'SQL'
SET client_min_messages = warning;
SET synchronous_commit = off;
CREATE SCHEMA wide;
SELECT format(
  'CREATE TABLE wide.t%1$s (
     id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
     parent_id bigint%2$s,
     name text NOT NULL,
     email character varying(200),
     amount numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT t%1$s_amount_check CHECK (amount >= 0),
     created_at timestamptz NOT NULL DEFAULT now(),
     active boolean NOT NULL DEFAULT true,
     status text NOT NULL DEFAULT ''new'',
     note text);
   CREATE INDEX t%1$s_parent_idx ON wide.t%1$s (parent_id);
   CREATE UNIQUE INDEX t%1$s_email_key ON wide.t%1$s (email) WHERE active;
   INSERT INTO wide.t%1$s (parent_id, name, email, amount)
     VALUES (%4$s, ''row of t%1$s'', ''t%1$s@example.com'', 5);%3$s',
  g,
  CASE WHEN g > 1 THEN format(' REFERENCES wide.t%s (id)', g - 1) ELSE '' END,
  CASE WHEN g % 10 = 0 THEN format(' COMMENT ON TABLE wide.t%1$s IS ''table %1$s of the benchmark'';', g) ELSE '' END,
  CASE WHEN g > 1 THEN '1' ELSE 'NULL' END)
FROM generate_series(1, :tables) g
\gexec
-- VACUUM too: creating the tables left the catalogs (pg_class, pg_attribute,
-- pg_depend...) with dead rows, and autovacuum vacuuming them during the
-- first runs took one of the two cores from the commands measured.
VACUUM ANALYZE;
SQL
}

# The YAML of 10 tables changed: a column added, an index added, a check changed.
change_ten() {
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
src, dst, tables = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(src).read()
step = max(1, tables // 10)
for n in range(step, step * 10 + 1, step):
    name = f"t{n}"
    m = re.search(rf"^([ ]*){name}:\n", text, re.M)
    if not m:
        sys.exit(f"bench: table {name} not found in the YAML")
    ind = m.group(1) + "    "
    start = m.end()
    cols = re.compile(r"^[ ]*columns:\n", re.M).search(text, start)
    text = text[:cols.end()] + f"{ind}extra: text\n" + text[cols.end():]
    check = re.compile(rf"^[ ]*{name}_amount_check: (.*)$", re.M).search(text, start)
    text = text[:check.start(1)] + '"(amount >= 1)"' + text[check.end(1):]
    idx = re.compile(r"^[ ]*indexes:\n", re.M).search(text, start)
    text = text[:idx.end()] + f"{ind}{name}_name_idx: {{ columns: [name] }}\n" + text[idx.end():]
open(dst, "w").write(text)
PY
}

measure() {  # name command...; appends "wall rss" to $WORK/<name>
  local name=$1; shift
  local stats
  local rc=0
  local options=""
  [ "$name" = migra_noop ] || options=$SERVER_SETTINGS
  PGOPTIONS="$options" /usr/bin/time -f "TIME %e %M" "$@" >/dev/null 2>"$WORK/$name.err" || rc=$?
  stats=$(grep '^TIME ' "$WORK/$name.err" | tail -1)
  if [ "$rc" -ne 0 ] || [ -z "$stats" ]; then
    echo "bench: $name failed:" >&2; cat "$WORK/$name.err" >&2; exit 1
  fi
  set -- $stats
  echo "$2 $3" >>"$WORK/$name"
  echo "bench:   $name: $2 s, $(( $3 / 1024 )) MB" >&2
}

run_command() {
  case "$1" in
    inspect) measure inspect "$PGSHIFT" inspect --db "$BENCH_URL" -o "$WORK/inspect.yaml" ;;
    plan_noop) measure plan_noop "$PGSHIFT" plan --db "$BENCH_URL" --schema "$WORK/schema.yaml" --format json -o "$WORK/noop.json" ;;
    plan_10) measure plan_10 "$PGSHIFT" plan --db "$BENCH_URL" --schema "$WORK/changed.yaml" --format json -o "$WORK/changed.json" ;;
    drift) measure drift "$PGSHIFT" drift --db "$BENCH_URL" --schema "$WORK/schema.yaml" ;;
    migra_noop) measure migra_noop node "$MIGRA" "$BENCH_URL" "$BENCH_URL" --unsafe ;;
    *) echo "bench: unknown command $1" >&2; exit 2 ;;
  esac
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

mkdir -p "$REPO_ROOT/bench/.results"
declare -A MEDIAN RSS
for tables in "${SIZE_LIST[@]}"; do
  echo "bench: creating $tables tables" >&2
  start=$(date +%s.%N)
  create_schema "$tables"
  # The files just created wait for the next checkpoint's fsync: the first
  # DROP DATABASE of a scratch database (PostgreSQL 15 forces a checkpoint)
  # would pay for them.
  psql "$ADMIN_URL" -qAt -c "CHECKPOINT" >/dev/null
  echo "bench: schema created in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  "$PGSHIFT" inspect --db "$BENCH_URL" -o "$WORK/schema.yaml"
  if [ "$DROP_CACHES" = 1 ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches || { echo "bench: --drop-caches needs root" >&2; exit 1; }
  fi
  change_ten "$WORK/schema.yaml" "$WORK/changed.yaml" "$tables"
  for c in "${COMMANDS[@]}"; do rm -f "$WORK/$c"; done
  for run in $(seq "$RUNS"); do
    echo "bench: run $run of $RUNS ($tables tables)" >&2
    for c in "${COMMANDS[@]}"; do run_command "$c"; done
  done
  # Sanity: the no-op plan has no steps, the changed one has some.
  steps() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$1"; }
  if [ -f "$WORK/noop.json" ]; then
    noop_steps=$(steps "$WORK/noop.json")
    [ "$noop_steps" = 0 ] || { echo "bench: the no-op plan has $noop_steps steps" >&2; exit 1; }
  fi
  [ -f "$WORK/changed.json" ] && echo "bench: the 10-table plan has $(steps "$WORK/changed.json") steps" >&2
  rm -f "$WORK/noop.json" "$WORK/changed.json"
  out="$REPO_ROOT/bench/.results/plan_wide-$tables.txt"
  : >"$out"
  for c in "${COMMANDS[@]}"; do
    MEDIAN[$c,$tables]=$(cut -d' ' -f1 "$WORK/$c" | median)
    RSS[$c,$tables]=$(( $(cut -d' ' -f2 "$WORK/$c" | sort -n | tail -1) / 1024 ))
    echo "$c ${MEDIAN[$c,$tables]} ${RSS[$c,$tables]}" >>"$out"
  done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "plan_wide runs=$RUNS load=\"$load\" cores=$(nproc) (median wall s, largest peak RSS MB)${CLUSTER_DIR:+ cluster in $CLUSTER_PARENT}${SERVER_SETTINGS:+ pgshift sessions with: $SERVER_SETTINGS}"
printf '%-12s' "command"
for tables in "${SIZE_LIST[@]}"; do printf '%28s' "$tables tables"; done
[ ${#SIZE_LIST[@]} -ge 2 ] && printf '%20s' "ratio ${SIZE_LIST[-1]}/${SIZE_LIST[0]}"
echo
for c in "${COMMANDS[@]}"; do
  printf '%-12s' "$c"
  for tables in "${SIZE_LIST[@]}"; do
    cell="${MEDIAN[$c,$tables]} s ${RSS[$c,$tables]} MB"
    if [ -n "${MEDIAN[migra_noop,$tables]:-}" ] && [ "$c" != migra_noop ]; then
      cell="$cell $(echo "scale=1; ${MEDIAN[migra_noop,$tables]} / ${MEDIAN[$c,$tables]}" | bc)x"
    fi
    printf '%28s' "$cell"
  done
  if [ ${#SIZE_LIST[@]} -ge 2 ]; then
    printf '%20s' "$(echo "scale=1; ${MEDIAN[$c,${SIZE_LIST[-1]}]} / ${MEDIAN[$c,${SIZE_LIST[0]}]}" | bc)"
  fi
  echo
done
echo "(Nx after a figure: migra_noop's median divided by this one: how many times faster than migra in the same run)"
