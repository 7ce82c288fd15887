#!/usr/bin/python3
"""The JSON Schema (schemas/pgshift.schema.json) agrees with the YAML format.

Every example the loader accepts must validate against the schema, and
documents with an unknown key or a value of the wrong type must not: an editor
using the schema then flags what `pgshift` would refuse. Run by ctest with
Debian's python3-jsonschema and python3-yaml (scripts/setup installs them).

Usage: json_schema_check.py SCHEMA EXAMPLE_OR_DIR...
"""
import json
import pathlib
import sys

import jsonschema
import yaml

# Documents the loader refuses, and the reason the schema must refuse them too.
INVALID = {
    "unknown top-level key": "schemaz: {}\n",
    "a policy of an unknown command": (
        "schemas:\n  public:\n    tables:\n      t:\n        policies:\n"
        "          p: { command: upsert }\n"),
    "row_security given as a string": (
        "schemas:\n  public:\n    tables:\n      t:\n        row_security: \"yes\"\n"),
    "unknown column key": (
        "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
        "          id: { type: int, nulable: false }\n"),
    "nullable given as a string": (
        "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
        "          id: { type: int, nullable: \"false\" }\n"),
    "identity of an unknown kind": (
        "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
        "          id: { type: bigint, identity: sometimes }\n"),
    "a routine with both body and sql_body": (
        "schemas:\n  public:\n    functions:\n      f:\n        returns: int\n"
        "        body: SELECT 1\n        sql_body: RETURN 1\n"),
    "a privilege that does not exist": (
        "schemas:\n  public:\n    privileges:\n"
        "      - { table: t, grants: [{ to: app, privileges: [READ] }] }\n"),
    "a revoke with a grant option": (
        "schemas:\n  public:\n    privileges:\n"
        "      - { table: t, revoked: [{ from: app, privileges: [SELECT], "
        "with_grant_option: true }] }\n"),
    "default privileges on an unknown kind of objects": (
        "default_privileges:\n"
        "  - { for_role: app, objects: tablez, grants: [{ to: ro, privileges: [SELECT] }] }\n"),
    "default privileges of a schema that revoke": (
        "schemas:\n  public:\n    default_privileges:\n"
        "      - { for_role: app, objects: tables, revoked: [{ from: ro, privileges: [SELECT] }] }\n"),
    "default privileges of a schema on schemas": (
        "schemas:\n  public:\n    default_privileges:\n"
        "      - { for_role: app, objects: schemas, grants: [{ to: ro, privileges: [USAGE] }] }\n"),
    "default privileges without for_role": (
        "default_privileges:\n"
        "  - { objects: tables, grants: [{ to: ro, privileges: [SELECT] }] }\n"),
    "a routine with no body": (
        "schemas:\n  public:\n    functions:\n      f: { returns: int }\n"),
    "manage_owners given as a string": "manage_owners: \"yes\"\n",
    "an owner given as a list": (
        "manage_owners: true\nschemas:\n  public:\n    tables:\n      t:\n"
        "        owner: [app]\n"),
    "an owner of a sequence owned by a column": (
        "manage_owners: true\nschemas:\n  public:\n    sequences:\n"
        "      s: { owned_by: public.t.id, owner: app }\n"),
}


def yaml_files(paths):
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


def main(argv):
    schema = json.loads(pathlib.Path(argv[1]).read_text())
    validator = jsonschema.Draft7Validator(schema)
    failures = []
    checked = 0
    for path in yaml_files(argv[2:]):
        checked += 1
        for error in validator.iter_errors(yaml.safe_load(path.read_text())):
            where = "/".join(str(part) for part in error.absolute_path)
            failures.append(f"{path}: {where}: {error.message}")
    for name, text in INVALID.items():
        checked += 1
        if validator.is_valid(yaml.safe_load(text)):
            failures.append(f"the schema accepts a document the loader refuses: {name}")
    for failure in failures:
        print(failure)
    print(f"{checked - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
