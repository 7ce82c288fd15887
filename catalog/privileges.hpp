// Privileges of the objects of the managed schemas, as their difference from
// what an untouched object has (schemas::Privileges): one set-based query in
// the reader's snapshot (catalog/reader.cpp calls it).
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace pgshift::catalog {

// One privilege of one object that differs from the object's default: given
// beyond it (`granted`) or taken away from it.
struct PrivilegeRow {
  // 'n' schema, 'r' table (or partitioned table), 'v' view, 'm' materialized
  // view, 'S' sequence, 'c' column, 'f' function, 'p' procedure, 'e' enum,
  // 'd' domain, 'C' composite type.
  char kind = 'r';
  std::string schema;
  std::string relation;  // a column's relation, else ""
  std::string name;      // the object's name (a column's, the schema's own)
  unsigned int oid = 0;  // a routine's oid: the reader names it by its signature
  bool granted = true;
  std::string role;  // the grantee; "public" for PUBLIC
  std::string privilege;
  bool grantable = false;
};

// One privilege of one pg_default_acl entry that differs from what the entry
// is compared with: for a database-wide entry (schema ""), the built-in
// default (acldefault of its kind for its role), which it replaces; for a
// schema's entry, nothing (it only adds).
struct DefaultPrivilegeRow {
  std::string schema;   // "" for a database-wide entry
  std::string for_role;
  std::string objects;  // "tables", "sequences", "functions", "types", "schemas"
  bool granted = true;
  std::string role;  // the grantee; "public" for PUBLIC
  std::string privilege;
  bool grantable = false;
};

// Throws pqxx errors (the reader turns them into ReadError).
std::vector<DefaultPrivilegeRow> read_default_privilege_rows(pqxx::transaction_base& tx,
                                                             const std::string& schemas_literal);

// One grant of one privilege on one object made by a role that is not the
// object's owner (schemas::GrantByOther): `grant` names the object, the
// grantee, the privilege and whether it was given WITH GRANT OPTION
// (`granted` is always true).
struct GrantByOtherRow {
  PrivilegeRow grant;
  std::string grantor;
  bool also_by_owner = false;      // the owner granted the same privilege to the same role
  bool can_set_role = false;       // session_user may SET ROLE to the grantor
  bool grantor_superuser = false;  // run as it, REVOKE acts as the owner
};

// The query of the privileges that differ from the objects' defaults on the
// objects of the schemas read ($1: their names, a text[] literal; $2: the
// relations among them whose columns have privileges of their own, an oid[]
// literal: column privileges are looked for there only), and the rows it
// returned.
const char* privileges_query();
std::vector<PrivilegeRow> privilege_rows(const pqxx::result& result);

// The query of every grant by a role other than the owner on the objects of
// the schemas read ($1 and $2 likewise), whether or not their privilege differs
// from the default, and the rows it returned.
const char* grants_by_others_query();
std::vector<GrantByOtherRow> grants_by_others(const pqxx::result& result);

}  // namespace pgshift::catalog
