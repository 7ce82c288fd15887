#!/usr/bin/env bash
# tests/package/install_test.sh BUILD_DIR VERSION
#
# Installs the build into a temporary prefix, checks that every installed file
# is there, and runs the installed pgshift: --version, its man page, and a plan
# of the installed example (examples/yaml/split) against a fresh database on
# PGSHIFT_TEST_URL (created and dropped here).
set -euo pipefail
build=$1
version=$2
: "${PGSHIFT_TEST_URL:?PGSHIFT_TEST_URL is not set}"
export PATH=/usr/lib/postgresql/15/bin:$PATH

work=$(mktemp -d)
db="pgshift_install_test_$$"
cleanup() {
  psql -X -q -d "$PGSHIFT_TEST_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for file in bin/pgshift \
            share/man/man1/pgshift.1.gz share/man/man1/pgshift-inspect.1.gz share/man/man1/pgshift-plan.1.gz \
            share/man/man1/pgshift-apply.1.gz share/man/man1/pgshift-drift.1.gz share/man/man1/pgshift-lint.1.gz \
            share/bash-completion/completions/pgshift share/zsh/vendor-completions/_pgshift \
            share/pgshift/pgshift.schema.json share/pgshift/FORMAT.md share/pgshift/LINT-RULES.md \
            share/pgshift/examples/yaml/shop.yaml share/pgshift/examples/yaml/split/public.yaml; do
  [ -f "$prefix/$file" ] || fail "$file is not installed"
done

# The installed binary runs from anywhere (no path into the build tree).
cd "$work"
installed_version=$("$prefix/bin/pgshift" --version)
[[ $installed_version == "pgshift $version (commit "* ]] || fail "unexpected --version: $installed_version"
zgrep -q "pgshift $version" "$prefix/share/man/man1/pgshift-plan.1.gz" || fail "man page without the version"
if command -v man >/dev/null; then
  MANWIDTH=80 man -l "$prefix/share/man/man1/pgshift-plan.1.gz" 2>/dev/null | grep -q -- "--detailed-exitcode" ||
    fail "man -l does not render pgshift-plan.1"
fi
bash -c "source '$prefix/share/bash-completion/completions/pgshift'; complete -p pgshift" >/dev/null ||
  fail "the bash completion does not register"

psql -X -q -d "$PGSHIFT_TEST_URL" -c "CREATE DATABASE $db" >/dev/null
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PGSHIFT_TEST_URL" "$db")
status=0
"$prefix/bin/pgshift" plan --db "$url" --schema "$prefix/share/pgshift/examples/yaml/split" \
  -o "$work/plan.json" --detailed-exitcode 2>"$work/plan.err" || status=$?
[ "$status" -eq 2 ] || fail "plan of the installed example exited $status: $(cat "$work/plan.err")"
python3 -c 'import json, sys; plan = json.load(open(sys.argv[1])); assert plan["steps"], "no steps"' \
  "$work/plan.json" || fail "the plan is not JSON with steps"
echo "install_test: installed into $prefix, --version, man page, completion and a plan: ok"
