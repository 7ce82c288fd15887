# bash completion for pgshift. Installed as
# share/bash-completion/completions/pgshift; tests/cli/cli_usage_test.cpp
# checks that every flag of `pgshift help COMMAND` is listed here.
_pgshift() {
  local cur prev command i
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done

  local planning="--db --schema --dev-db --ignore"
  local flags
  case $command in
    "") flags="--help --version"
        [[ $cur == -* ]] || { COMPREPLY=($(compgen -W "inspect plan apply drift version help" -- "$cur")); return; } ;;
    inspect) flags="--help --db -o --output --only-schema --exclude-schema --exclude-table" ;;
    plan) flags="--help $planning --strict --allow-hazard --lock-timeout --statement-timeout --format -o --output --detailed-exitcode" ;;
    apply) flags="--help $planning --allow-hazard --lock-timeout --statement-timeout --plan --expect-hash --abandon --retries --batch-size --batch-target --pause --max-replica-lag --max-wal-rate --max-blocked-sessions --max-transaction-age --no-vacuum-pause --json-log --long-tx-threshold --on-long-tx --dry-run -y --yes" ;;
    drift) flags="--help $planning --strict --format --sequence-threshold -o --output" ;;
    help) COMPREPLY=($(compgen -W "inspect plan apply drift version help" -- "$cur")); return ;;
    *) flags="--help" ;;
  esac

  case $prev in
    --schema|--plan|-o|--output|--json-log)
      COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --format)
      case $command in
        plan) COMPREPLY=($(compgen -W "sql json markdown" -- "$cur")) ;;
        drift) COMPREPLY=($(compgen -W "text json markdown" -- "$cur")) ;;
      esac
      return ;;
    --allow-hazard)
      COMPREPLY=($(compgen -W "all data_loss table_rewrite access_exclusive_scan rename dependent_recreated enum_value_removal" -- "$cur")); return ;;
    --on-long-tx)
      COMPREPLY=($(compgen -W "report wait abort" -- "$cur")); return ;;
    --db|--dev-db|--ignore|--only-schema|--exclude-schema|--exclude-table|--lock-timeout|--statement-timeout|--retries|--batch-size|--batch-target|--pause|--max-replica-lag|--max-wal-rate|--max-blocked-sessions|--max-transaction-age|--long-tx-threshold|--sequence-threshold)
      return ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _pgshift pgshift
