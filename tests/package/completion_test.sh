#!/usr/bin/env bash
# tests/package/completion_test.sh SOURCE_DIR
#
# The bash completion completes commands, flags and flag values (run as bash
# runs it: COMP_WORDS/COMP_CWORD, then _pgshift); the zsh completion parses
# (zsh -n). That every flag is listed is checked by cli_usage_test.
set -euo pipefail
source_dir=$1
fail() { echo "completion_test: $*" >&2; exit 1; }

# shellcheck source=/dev/null
source "$source_dir/completions/pgshift.bash"
complete -p pgshift >/dev/null || fail "the bash completion does not register"

# complete WORD... : the completions for the last word of "pgshift WORD...".
complete_words() {
  COMP_WORDS=(pgshift "$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  _pgshift
  echo "${COMPREPLY[*]}"
}
expect() {
  local expected=$1; shift
  local got
  got=$(complete_words "$@")
  [ "$got" = "$expected" ] || fail "pgshift $* <TAB>: got \"$got\", expected \"$expected\""
}

expect "plan" pl
expect "inspect plan apply drift lint version help" ""
expect "--detailed-exitcode" plan --det
expect "--only-schema" inspect --on
expect "sql json markdown" plan --format ""
expect "text json markdown" drift --format ""
expect "report wait abort" apply --on-long-tx ""
expect "data_loss dependent_recreated" plan --allow-hazard d
expect "drift" help dr
expect "text json github" lint --format ""
expect "--list-rules" lint --list
expect "set-not-null" lint --disable set-
# drift offers no hazards and no timeouts.
[ -z "$(complete_words drift --allow)" ] || fail "drift offers --allow-hazard"
[ -z "$(complete_words drift --lock)" ] || fail "drift offers --lock-timeout"

command -v zsh >/dev/null || fail "zsh is not installed (scripts/setup installs it)"
zsh -n "$source_dir/completions/_pgshift" || fail "the zsh completion does not parse"
echo "completion_test: ok"
