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

  local planning="--db --schema --hints --dev-db --ignore"
  local flags
  case $command in
    "") flags="--help --version"
        [[ $cur == -* ]] || { COMPREPLY=($(compgen -W "inspect plan apply drift lint version help" -- "$cur")); return; } ;;
    inspect) flags="--help --db -o --output --format --only-schema --exclude-schema --exclude-table --owners" ;;
    plan) flags="--help $planning --strict --allow-hazard --lock-timeout --statement-timeout --no-data-checks --data-check-sample-rows --data-check-timeout --format -o --output --detailed-exitcode" ;;
    apply) flags="--help $planning --strict --allow-hazard --lock-timeout --statement-timeout --no-data-checks --data-check-sample-rows --data-check-timeout --plan --expect-hash --abandon --retries --batch-size --batch-target --pause --max-replica-lag --max-wal-rate --max-blocked-sessions --max-transaction-age --no-vacuum-pause --json-log --long-tx-threshold --on-long-tx --phase --dry-run -y --yes" ;;
    drift) flags="--help $planning --strict --format --sequence-threshold -o --output" ;;
    lint) flags="--help --db --format --disable --assume-in-transaction --pg-version --list-rules" ;;
    help) COMPREPLY=($(compgen -W "inspect plan apply drift lint version help" -- "$cur")); return ;;
    *) flags="--help" ;;
  esac

  case $prev in
    --schema|--hints|--plan|-o|--output|--json-log)
      COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --format)
      case $command in
        plan) COMPREPLY=($(compgen -W "sql json markdown" -- "$cur")) ;;
        inspect) COMPREPLY=($(compgen -W "yaml sql" -- "$cur")) ;;
        drift) COMPREPLY=($(compgen -W "text json markdown" -- "$cur")) ;;
        lint) COMPREPLY=($(compgen -W "text json github" -- "$cur")) ;;
      esac
      return ;;
    --allow-hazard)
      COMPREPLY=($(compgen -W "all data_loss table_rewrite access_exclusive_scan rename dependent_recreated enum_value_removal empties_schema access_widened access_narrowed partition_detached writes_refused" -- "$cur")); return ;;
    --disable)
      COMPREPLY=($(compgen -W "missing-lock-timeout index-not-concurrent constraint-not-valid unique-without-index set-not-null volatile-default add-column-rewrite add-column-not-null type-change-rewrite blocking-scan rename-column rename-table drop-table drop-column drop-object concurrently-in-transaction access-exclusive-held" -- "$cur")); return ;;
    --pg-version)
      COMPREPLY=($(compgen -W "11 12 13 14 15 16 17 18" -- "$cur")); return ;;
    --on-long-tx)
      COMPREPLY=($(compgen -W "report wait abort" -- "$cur")); return ;;
    --phase)
      COMPREPLY=($(compgen -W "expand contract" -- "$cur")); return ;;
    --db|--dev-db|--ignore|--only-schema|--exclude-schema|--exclude-table|--lock-timeout|--statement-timeout|--retries|--batch-size|--batch-target|--pause|--max-replica-lag|--max-wal-rate|--max-blocked-sessions|--max-transaction-age|--long-tx-threshold|--sequence-threshold)
      return ;;
  esac
  if [[ $command == lint && $cur != -* ]]; then  # the SQL files
    COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return
  fi
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _pgshift pgshift
