#!/usr/bin/env python3
"""tests/examples/check_examples.py SOURCE_DIR PGSHIFT

Every file under examples/ is exercised by a test: the map below names the
test for each, and a file it does not cover fails this check (add it there,
with its test). Then the CI examples themselves: each workflow parses as YAML,
each `run:` script passes `bash -n`, and every pgshift command in the
workflows and in examples/ci/README.md is accepted by the pgshift binary's
command line (run against an unreachable server it must fail to connect,
exit 1, never exit 64, a usage error).
"""
import fnmatch
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

# examples/ path pattern -> the test that exercises it.
COVERAGE = {
    "yaml/shop.yaml": "cli_db_test: the YAML examples build on an empty database and then plan "
                      "nothing; json schema test; yaml loader tests",
    "yaml/split/*": "cli_db_test: the YAML examples ...; package install_test (plans it)",
    "yaml/split/tables/*": "cli_db_test: the YAML examples ...",
    "migrations/0*.yaml": "plan_db_test: the checked-in plans of the course's migrations are up "
                          "to date (generate-plans plans and applies each); json schema test",
    "migrations/0*.plan.md": "plan_db_test: ... up to date; sql_parse_test",
    "migrations/generate-plans": "plan_db_test: ... up to date (runs it)",
    "stand/load": "plan_db_test: ... up to date (generate-plans loads the stand)",
    "stand/schema.sql": "roundtrip_test; stand/load",
    "stand/seed.sql": "stand/load, through generate-plans",
    "stand/README.md": "documentation of stand/load (checked here: it names load's options)",
    "ci/*.yml": "this check",
    "ci/README.md": "this check (its sh snippet)",
}

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"


def fail(message):
    print("check_examples: " + message, file=sys.stderr)
    sys.exit(1)


def covered(relative):
    return any(fnmatch.fnmatch(relative, pattern) for pattern in COVERAGE)


def pgshift_commands(script):
    """The pgshift command lines of a shell script, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", script)
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("pgshift "):
            line = line.split(" #", 1)[0]            # a trailing comment
            line = re.sub(r"\s[12]?>\s*\S+", "", line)  # redirections
            commands.append(line)
    return commands


def check_command(pgshift, source, command, schema_dir, work):
    words = shlex.split(command.replace('"$PGSHIFT_DB"', UNREACHABLE)
                        .replace('"$PRODUCTION_DATABASE_URL"', UNREACHABLE))
    words = [UNREACHABLE if w.startswith("postgresql://") else w for w in words]
    words = [schema_dir if w == "db/schema" else w for w in words]
    # pgshift lint's files: a migration of the lint corpus; its --db always
    # connects (the workflow's `"${db[@]}"` may be empty).
    sample = os.path.join(os.path.dirname(schema_dir), "..", "..", "tests", "lint", "corpus",
                          "05-lock-timeout-set.sql")
    if words[1] == "lint":
        words = [w for w in words if w != "${db[@]}"]
        if "--db" not in words:
            words = words[:2] + ["--db", UNREACHABLE] + words[2:]
        words = [os.path.abspath(sample) if w in ("${changed[@]}", "db/migrations/001_add_index.sql")
                 else w for w in words]
    result = subprocess.run([pgshift] + words[1:], cwd=work, capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 1 or "could not connect" not in result.stderr:
        fail(f"{source}: `{command}` exited {result.returncode}, expected 1 (cannot connect): "
             f"{result.stderr.strip()}")


def main(argv):
    source_dir, pgshift = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    examples = os.path.join(source_dir, "examples")
    for root, _, files in os.walk(examples):
        for name in files:
            relative = os.path.relpath(os.path.join(root, name), examples)
            if not covered(relative):
                fail(f"examples/{relative} is exercised by no test: add one, and map it in "
                     f"tests/examples/check_examples.py")

    schema_dir = os.path.join(examples, "yaml", "split")
    checked = 0
    with tempfile.TemporaryDirectory() as work:
        ci = os.path.join(examples, "ci")
        for name in sorted(os.listdir(ci)):
            path = os.path.join(ci, name)
            if name.endswith(".yml"):
                with open(path) as file:
                    workflow = yaml.safe_load(file)
                for job in workflow["jobs"].values():
                    for step in job["steps"]:
                        script = step.get("run")
                        if script is None:
                            continue
                        syntax = subprocess.run(["bash", "-n"], input=script, text=True,
                                                capture_output=True)
                        if syntax.returncode != 0:
                            fail(f"{name}: step {step.get('name', '?')}: {syntax.stderr}")
                        for command in pgshift_commands(script):
                            check_command(pgshift, name, command, schema_dir, work)
                            checked += 1
            elif name == "README.md":
                with open(path) as file:
                    text = file.read()
                for block in re.findall(r"```sh\n(.*?)```", text, re.S):
                    for command in pgshift_commands(block):
                        check_command(pgshift, name, command, schema_dir, work)
                        checked += 1
    if checked < 3:
        fail(f"only {checked} pgshift commands found in examples/ci: the extraction is broken")

    with open(os.path.join(examples, "stand", "README.md")) as file:
        stand_readme = file.read()
    if "--scale" not in stand_readme:
        fail("examples/stand/README.md does not document load's --scale")
    print(f"check_examples: every file under examples/ is covered; {checked} pgshift commands "
          f"of examples/ci accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
