#!/usr/bin/env bash
# bench/lint_1000.sh — wall time of `pgshift lint` on a migration of 1,000 statements.
#
#   bench/lint_1000.sh [--statements N] [--runs N] [--pgshift PATH]
#
# Writes a file of N statements (default 1000) cycling through the kinds lint
# judges: CREATE TABLE with an index on it, CREATE INDEX with and without
# CONCURRENTLY, ADD COLUMN with constant and volatile defaults, ADD CONSTRAINT
# CHECK / FOREIGN KEY with and without NOT VALID, VALIDATE, SET NOT NULL, type
# changes, renames, drops, SET lock_timeout, BEGIN/COMMIT. Then runs `pgshift
# lint` once to warm the caches and --runs times (default 9), and prints the
# minimum and median wall time (the process, parse and all three renderings'
# worth of judging: text output). Target (issue 14): under 1 s for 1,000
# statements. No database is needed (no --db).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGSHIFT="$REPO_ROOT/build/cli/pgshift"
STATEMENTS=1000
RUNS=9
while [ $# -gt 0 ]; do
  case $1 in
    --statements) STATEMENTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --pgshift) PGSHIFT=$2; shift 2 ;;
    *) echo "bench/lint_1000.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
[ -x "$PGSHIFT" ] || { echo "bench/lint_1000.sh: no pgshift binary at $PGSHIFT (build it)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file=$work/migration.sql
{
  written=0
  idx=0
  while [ "$written" -lt "$STATEMENTS" ]; do
    t="t$idx"
    cat <<SQL
SET lock_timeout = '200ms';
CREATE TABLE new_$t (id bigint PRIMARY KEY, name text);
CREATE INDEX new_${t}_name_idx ON new_$t (name);
CREATE INDEX ${t}_a_idx ON $t (a);
CREATE INDEX CONCURRENTLY ${t}_b_idx ON $t (b);
ALTER TABLE $t ADD COLUMN c integer NOT NULL DEFAULT 0;
ALTER TABLE $t ADD COLUMN d timestamptz DEFAULT clock_timestamp();
ALTER TABLE $t ADD CONSTRAINT ${t}_a_check CHECK (a > 0);
ALTER TABLE $t ADD CONSTRAINT ${t}_e_check CHECK (e IS NOT NULL) NOT VALID;
ALTER TABLE $t VALIDATE CONSTRAINT ${t}_e_check;
ALTER TABLE $t ALTER COLUMN e SET NOT NULL;
ALTER TABLE $t ADD CONSTRAINT ${t}_fk FOREIGN KEY (parent_id) REFERENCES parent_$t (id) NOT VALID;
ALTER TABLE $t ALTER COLUMN f TYPE bigint;
ALTER TABLE $t RENAME COLUMN g TO h;
BEGIN;
ALTER TABLE $t ADD COLUMN i text;
ALTER TABLE other_$t ADD COLUMN j text;
COMMIT;
ALTER TABLE $t DROP COLUMN k;
SQL
    written=$((written + 19))
    idx=$((idx + 1))
  done
} > "$file"
count=$(grep -c ';$' "$file")

"$PGSHIFT" lint "$file" > /dev/null || true
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  "$PGSHIFT" lint "$file" > "$work/out.txt" || true
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
min=${sorted[0]}
median=${sorted[$(( RUNS / 2 ))]}
findings=$(tail -1 "$work/out.txt")
echo "statements: $count ($findings)"
echo "wall ms: min $min, median $median over $RUNS runs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$min" -lt 1000 ]; then echo "target under 1 s: met"; else echo "target under 1 s: NOT met"; fi
