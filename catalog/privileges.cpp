#include "catalog/privileges.hpp"

#include "catalog/connection.hpp"

namespace pgshift::catalog {

namespace {

// Every object of the schemas read that the model holds and whose ACL is set
// (a NULL ACL is the default), with the ACL it would have untouched: what
// initdb recorded (pg_init_privs: the `public` schema), else the owner's
// default for its kind (acldefault; a column's is empty, which aclexplode
// refuses: NULLIF makes it no rows). Both ACLs are
// exploded (aclexplode) and compared by grantee and privilege, so an owner's
// implicit rights and the grantor never make a difference; a privilege held
// with the grant option by any grantor counts as held with it. Extension
// members are left out, as the reader leaves them out.
//
// The objects are kObjects, shared with kGrantsByOthersQuery (their owner:
// what the grantor of an owner's grant is, a superuser's grants included).
constexpr const char* kObjects = R"SQL(
WITH objects AS (
  SELECT 'pg_class'::regclass AS classid, c.oid, 0 AS subid, n.nspname,
    CASE c.relkind WHEN 'p' THEN 'r' ELSE c.relkind::text END AS kind,
    '' AS relation, c.relname::text AS name, c.relacl AS acl,
    acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner) AS def,
    c.relowner AS owner
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
      AND e.objid = c.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, a.attnum, n.nspname, 'c', c.relname::text,
    a.attname::text, a.attacl, '{}'::aclitem[], c.relowner
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attrelid = ANY($2::oid[]) AND cardinality(a.attacl) > 0 AND a.attnum > 0
    AND NOT a.attisdropped
    AND c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
      AND e.objid = c.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'pg_proc'::regclass, p.oid, 0, n.nspname, p.prokind::text, '', p.proname::text,
    p.proacl, acldefault('f', p.proowner), p.proowner
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p') AND p.proacl IS NOT NULL AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
      AND e.objid = p.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid, 0, n.nspname,
    CASE t.typtype WHEN 'c' THEN 'C' ELSE t.typtype::text END, '', t.typname::text,
    t.typacl, acldefault('T', t.typowner), t.typowner
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typacl IS NOT NULL AND n.nspname = ANY($1::text[])
    AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND
      (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
      AND e.objid = t.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'pg_namespace'::regclass, n.oid, 0, n.nspname, 'n', '', n.nspname::text, n.nspacl,
    acldefault('n', n.nspowner), n.nspowner
  FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND n.nspname = ANY($1::text[])
)
)SQL";

const std::string kPrivilegesQuery = std::string(kObjects) + R"SQL(, acls AS (
  SELECT o.kind, o.nspname, o.relation, o.name, o.oid, o.acl,
    COALESCE((SELECT ip.initprivs FROM pg_init_privs ip WHERE ip.classoid = o.classid
      AND ip.objoid = o.oid AND ip.objsubid = o.subid), o.def) AS base
  FROM objects o
), held AS (
  SELECT a.kind, a.nspname, a.relation, a.name, a.oid, x.grantee, x.privilege_type,
    bool_or(x.is_grantable) AS grantable, false AS base
  FROM acls a CROSS JOIN LATERAL aclexplode(NULLIF(a.acl, '{}')) x
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  UNION ALL
  SELECT a.kind, a.nspname, a.relation, a.name, a.oid, x.grantee, x.privilege_type,
    bool_or(x.is_grantable), true
  FROM acls a CROSS JOIN LATERAL aclexplode(NULLIF(a.base, '{}')) x
  GROUP BY 1, 2, 3, 4, 5, 6, 7
), compared AS (
  SELECT kind, nspname, relation, name, oid, grantee, privilege_type,
    bool_or(grantable) FILTER (WHERE NOT base) AS now,
    bool_or(grantable) FILTER (WHERE base) AS untouched
  FROM held GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT kind, nspname, relation, name, oid, now IS NOT NULL AS granted,
  CASE WHEN grantee = 0 THEN 'public' ELSE pg_get_userbyid(grantee)::text END,
  privilege_type, COALESCE(now, false)
FROM compared
WHERE now IS NULL OR untouched IS NULL OR (now AND NOT untouched)
)SQL";

// Every grant on those objects whose grantor is not the owner, whether or not
// the privilege differs from the default (a default PUBLIC EXECUTE a grant
// option holder granted again is revoked from PUBLIC by its grantor too),
// with whether the owner granted the same, whether the session's user may
// SET ROLE to the grantor ('MEMBER', or 'SET' on 16+, where membership alone
// does not allow it) and whether the grantor is a superuser.
const std::string kGrantsByOthersQuery = std::string(kObjects) + R"SQL(, exploded AS (
  SELECT o.kind, o.nspname, o.relation, o.name, o.oid, o.owner, x.grantor, x.grantee,
    x.privilege_type, x.is_grantable
  FROM objects o CROSS JOIN LATERAL aclexplode(NULLIF(o.acl, '{}')) x
)
SELECT e.kind, e.nspname, e.relation, e.name, e.oid,
  CASE WHEN e.grantee = 0 THEN 'public' ELSE pg_get_userbyid(e.grantee)::text END,
  e.privilege_type, e.is_grantable, pg_get_userbyid(e.grantor)::text,
  EXISTS (SELECT 1 FROM exploded b WHERE b.kind = e.kind AND b.oid = e.oid
    AND b.name = e.name AND b.grantee = e.grantee AND b.privilege_type = e.privilege_type
    AND b.grantor = b.owner),
  pg_has_role(session_user, e.grantor,
    CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END),
  COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = e.grantor), false)
FROM exploded e
WHERE e.grantor <> e.owner AND e.grantee <> e.owner
)SQL";

// Default privileges (pg_default_acl) on tables, sequences, functions, types
// and schemas (large objects, 18+, are reported as unmodelled): a
// database-wide entry (defaclnamespace 0) replaces the built-in default of
// its kind for its role (acldefault; pg_default_acl's 'S' is acldefault's
// 's'), and the server deletes it when it equals that default, so it is
// compared with it; a schema's entry is added to whatever applies, and is
// compared with nothing. Both sides exploded (aclexplode) and compared by
// grantee and privilege, as object privileges are.
constexpr const char* kDefaultPrivilegesQuery = R"SQL(
WITH entries AS (
  SELECT COALESCE(n.nspname, '') AS nspname, d.defaclrole AS owner,
    d.defaclobjtype::text AS objtype, d.defaclacl AS acl,
    CASE WHEN d.defaclnamespace = 0
      THEN acldefault((CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype::text END)::"char",
        d.defaclrole)
      ELSE '{}'::aclitem[] END AS base
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  WHERE d.defaclobjtype IN ('r', 'S', 'f', 'T', 'n')
    AND (d.defaclnamespace = 0 OR n.nspname = ANY($1::text[]))
), held AS (
  SELECT e.nspname, e.owner, e.objtype, x.grantee, x.privilege_type,
    bool_or(x.is_grantable) AS grantable, false AS base
  FROM entries e CROSS JOIN LATERAL aclexplode(NULLIF(e.acl, '{}')) x
  GROUP BY 1, 2, 3, 4, 5
  UNION ALL
  SELECT e.nspname, e.owner, e.objtype, x.grantee, x.privilege_type,
    bool_or(x.is_grantable), true
  FROM entries e CROSS JOIN LATERAL aclexplode(NULLIF(e.base, '{}')) x
  GROUP BY 1, 2, 3, 4, 5
), compared AS (
  SELECT nspname, owner, objtype, grantee, privilege_type,
    bool_or(grantable) FILTER (WHERE NOT base) AS now,
    bool_or(grantable) FILTER (WHERE base) AS untouched
  FROM held GROUP BY 1, 2, 3, 4, 5
)
SELECT nspname, pg_get_userbyid(owner)::text,
  CASE objtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
    WHEN 'T' THEN 'types' ELSE 'schemas' END,
  now IS NOT NULL AS granted,
  CASE WHEN grantee = 0 THEN 'public' ELSE pg_get_userbyid(grantee)::text END,
  privilege_type, COALESCE(now, false)
FROM compared
WHERE now IS NULL OR untouched IS NULL OR (now AND NOT untouched)
)SQL";

}  // namespace

std::vector<DefaultPrivilegeRow> read_default_privilege_rows(pqxx::transaction_base& tx,
                                                             const std::string& schemas_literal) {
  std::vector<DefaultPrivilegeRow> rows;
  for (const auto& row : tx.exec_params(kDefaultPrivilegesQuery, schemas_literal)) {
    DefaultPrivilegeRow read;
    read.schema = row[0].as<std::string>();
    read.for_role = row[1].as<std::string>();
    read.objects = row[2].as<std::string>();
    read.granted = row[3].as<bool>();
    read.role = row[4].as<std::string>();
    read.privilege = row[5].as<std::string>();
    read.grantable = row[6].as<bool>();
    rows.push_back(std::move(read));
  }
  return rows;
}

const char* privileges_query() {
  return kPrivilegesQuery.c_str();
}

const char* grants_by_others_query() {
  return kGrantsByOthersQuery.c_str();
}

std::vector<GrantByOtherRow> grants_by_others(const pqxx::result& result) {
  std::vector<GrantByOtherRow> rows;
  for (const auto& row : result) {
    GrantByOtherRow read;
    read.grant.kind = row[0].as<std::string>().at(0);
    read.grant.schema = row[1].as<std::string>();
    read.grant.relation = row[2].as<std::string>();
    read.grant.name = row[3].as<std::string>();
    read.grant.oid = row[4].as<unsigned int>();
    read.grant.role = row[5].as<std::string>();
    read.grant.privilege = row[6].as<std::string>();
    read.grant.grantable = row[7].as<bool>();
    read.grantor = row[8].as<std::string>();
    read.also_by_owner = row[9].as<bool>();
    read.can_set_role = row[10].as<bool>();
    read.grantor_superuser = row[11].as<bool>();
    rows.push_back(std::move(read));
  }
  return rows;
}

std::vector<PrivilegeRow> privilege_rows(const pqxx::result& result) {
  std::vector<PrivilegeRow> rows;
  for (const auto& row : result) {
    PrivilegeRow read;
    read.kind = row[0].as<std::string>().at(0);
    read.schema = row[1].as<std::string>();
    read.relation = row[2].as<std::string>();
    read.name = row[3].as<std::string>();
    read.oid = row[4].as<unsigned int>();
    read.granted = row[5].as<bool>();
    read.role = row[6].as<std::string>();
    read.privilege = row[7].as<std::string>();
    read.grantable = row[8].as<bool>();
    rows.push_back(std::move(read));
  }
  return rows;
}

}  // namespace pgshift::catalog
