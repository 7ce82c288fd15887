#include "catalog/unmodelled.hpp"

#include <algorithm>

#include "catalog/reader.hpp"

namespace pgshift::catalog {

namespace {

// Every query returns (kind, schema, relation, name, detail), NULL read as "",
// and takes $1, the text[] of the schemas read. Tokens in @...@ differ by
// server version (kTokens).

#define PGSHIFT_NOT_EXTENSION_MEMBER(catalog, oid)                     \
  " NOT EXISTS (SELECT 1 FROM pg_depend ext WHERE ext.classid = '" catalog \
  "'::regclass AND ext.objid = " oid " AND ext.deptype = 'e') "

// An ACL that differs from the one the object would have had untouched: the
// one initdb recorded (pg_init_privs: the `public` schema), else the owner's
// default (acldefault). Compared as sorted text, as aclitem has no ordering.
// Neither an extension's nor made with another object and part of it (deptype
// 'i': a range type's constructors and its multirange cast).
#define PGSHIFT_STANDALONE(catalog, oid)                                   \
  " NOT EXISTS (SELECT 1 FROM pg_depend ext WHERE ext.classid = '" catalog \
  "'::regclass AND ext.objid = " oid " AND ext.deptype IN ('e', 'i')) "

#define PGSHIFT_ACL_DIFFERS(acl, catalog, oid, kind, owner)                                      \
  " (" acl " IS NOT NULL AND ARRAY(SELECT x::text FROM unnest(" acl ") x ORDER BY 1) <> "       \
  "ARRAY(SELECT x::text FROM unnest(COALESCE((SELECT ip.initprivs FROM pg_init_privs ip "        \
  "WHERE ip.classoid = '" catalog "'::regclass AND ip.objoid = " oid " AND ip.objsubid = 0), "   \
  "acldefault(" kind ", " owner "))) x ORDER BY 1)) "

#define PGSHIFT_RELATION                                                             \
  " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "

#define PGSHIFT_MANAGED_RELATION \
  " n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_class", "c.oid")

#define PGSHIFT_SIGNATURE(p) " " p ".proname || '(' || oidvectortypes(" p ".proargtypes) || ')' "

struct Query {
  const char* what;  // for errors: "could not read <what>"
  int since;         // first server_version_num that has what it reads
  const char* sql;
};

constexpr Query kQueries[] = {
    // Privileges of what the model holds are modelled (catalog/privileges.cpp);
    // those of foreign tables, aggregates, window functions, range and base
    // types are not, and neither are default privileges on large objects.
    {"privileges", 0,
     "SELECT 'privileges', n.nspname, c.relname, '', array_to_string(c.relacl, ', ') "
     PGSHIFT_RELATION "WHERE c.relkind = 'f' AND"
     PGSHIFT_MANAGED_RELATION "AND" PGSHIFT_ACL_DIFFERS(
         "c.relacl", "pg_class", "c.oid", "'r'::\"char\"", "c.relowner")
     "UNION ALL "
     "SELECT 'column privileges', n.nspname, c.relname, a.attname, "
     "  array_to_string(a.attacl, ', ') " PGSHIFT_RELATION
     "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
     "WHERE cardinality(a.attacl) > 0 AND c.relkind = 'f' AND"
     PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'routine privileges', n.nspname, ''," PGSHIFT_SIGNATURE("p") ", "
     "  array_to_string(p.proacl, ', ') "
     "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
     "WHERE p.prokind NOT IN ('f', 'p') AND n.nspname = ANY($1::text[]) AND"
     PGSHIFT_STANDALONE("pg_proc", "p.oid")
     "AND" PGSHIFT_ACL_DIFFERS("p.proacl", "pg_proc", "p.oid", "'f'", "p.proowner")
     "UNION ALL "
     "SELECT 'type privileges', n.nspname, '', t.typname, array_to_string(t.typacl, ', ') "
     "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND t.typtype NOT IN ('e', 'd') "
     "  AND NOT (t.typtype = 'c' AND "
     "    (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid")
     "AND" PGSHIFT_ACL_DIFFERS("t.typacl", "pg_type", "t.oid", "'T'", "t.typowner")
     "UNION ALL "
     // Default privileges are modelled (catalog/privileges.cpp) but those on
     // large objects (PostgreSQL 18: ON LARGE OBJECTS, database-wide only).
     "SELECT 'default privileges', '', '', '', "
     "  'FOR ROLE ' || quote_ident(pg_get_userbyid(d.defaclrole)) || ' ON LARGE OBJECTS: ' || "
     "  array_to_string(d.defaclacl, ', ') "
     "FROM pg_default_acl d WHERE d.defaclobjtype NOT IN ('r', 'S', 'f', 'T', 'n')"},

    {"constraints and triggers", 0,
     "SELECT 'NOT VALID domain constraint', n.nspname, t.typname, co.conname, '' "
     "FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid "
     "JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE NOT co.convalidated AND n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid")
     "UNION ALL "
     // Triggers of views and foreign tables (those of tables, constraint
     // triggers included, are modelled).
     "SELECT 'trigger', n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) "
     "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
     "JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE NOT t.tgisinternal AND @tgparentid@ = 0 "
     "  AND c.relkind IN ('v', 'f') AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'trigger transition tables', n.nspname, c.relname, t.tgname, concat_ws(' ', "
     "  'REFERENCING', 'OLD TABLE AS ' || quote_ident(t.tgoldtable), "
     "  'NEW TABLE AS ' || quote_ident(t.tgnewtable)) "
     "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
     "JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE NOT t.tgisinternal AND @tgparentid@ = 0 "
     "  AND (t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL) AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     // A trigger's own firing is modelled (Trigger::firing); that of the
     // internal triggers of a constraint (DISABLE TRIGGER ALL) is not.
     "SELECT DISTINCT 'trigger firing', n.nspname, c.relname, co.conname, "
     "  CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA' "
     "    ELSE 'ENABLE ALWAYS' END || ': the internal triggers of this constraint' "
     "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
     "JOIN pg_namespace n ON n.oid = c.relnamespace "
     "JOIN pg_constraint co ON co.oid = t.tgconstraint "
     "WHERE t.tgenabled <> 'O' AND @tgparentid@ = 0 AND t.tgisinternal "
     "  AND" PGSHIFT_MANAGED_RELATION},

    {"relation properties", 0,
     // UNLOGGED tables and their storage parameters are modelled; a sequence
     // owned by an unlogged table (serial, identity) is unlogged with it
     // from PostgreSQL 15 and follows its SET LOGGED / UNLOGGED.
     "SELECT 'UNLOGGED', n.nspname, c.relname, '', '' " PGSHIFT_RELATION
     "WHERE c.relpersistence = 'u' AND c.relkind = 'S' AND NOT EXISTS (SELECT 1 "
     "  FROM pg_depend own JOIN pg_class t ON t.oid = own.refobjid "
     "  WHERE own.classid = 'pg_class'::regclass AND own.objid = c.oid "
     "    AND own.refclassid = 'pg_class'::regclass AND own.deptype IN ('a', 'i') "
     "    AND t.relpersistence = 'u') AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'access method', n.nspname, c.relname, '', am.amname " PGSHIFT_RELATION
     "JOIN pg_am am ON am.oid = c.relam "
     "WHERE c.relkind IN ('r', 'p', 'm') AND am.amname <> 'heap' AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'tablespace', n.nspname, c.relname, '', ts.spcname " PGSHIFT_RELATION
     "JOIN pg_tablespace ts ON ts.oid = c.reltablespace "
     "WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I') AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'WITH OIDS', n.nspname, c.relname, '', '' " PGSHIFT_RELATION
     "WHERE @relhasoids@ AND c.relkind = 'r' AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'typed table', n.nspname, c.relname, '', 'OF ' || format_type(c.reloftype, NULL) "
     PGSHIFT_RELATION "WHERE c.reloftype <> 0 AND c.relkind IN ('r', 'p') AND"
     PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'inheritance', n.nspname, c.relname, '', "
     "  'INHERITS ' || quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) "
     PGSHIFT_RELATION "JOIN pg_inherits i ON i.inhrelid = c.oid "
     "JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
     "WHERE NOT c.relispartition AND c.relkind IN ('r', 'p', 'f') AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'CLUSTER ON', n.nspname, c.relname, ic.relname, '' " PGSHIFT_RELATION
     "JOIN pg_index i ON i.indrelid = c.oid AND i.indisclustered "
     "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'rule', n.nspname, c.relname, r.rulename, CASE r.ev_type WHEN '1' THEN 'ON SELECT' "
     "  WHEN '2' THEN 'ON UPDATE' WHEN '3' THEN 'ON INSERT' ELSE 'ON DELETE' END "
     PGSHIFT_RELATION "JOIN pg_rewrite r ON r.ev_class = c.oid "
     "WHERE r.rulename <> '_RETURN' AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'view column default', n.nspname, c.relname, a.attname, "
     "  pg_get_expr(ad.adbin, ad.adrelid) " PGSHIFT_RELATION
     "JOIN pg_attrdef ad ON ad.adrelid = c.oid "
     "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ad.adnum "
     "WHERE c.relkind = 'v' AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'column comment', n.nspname, c.relname, a.attname, '' " PGSHIFT_RELATION
     "JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid "
     "  AND d.objsubid > 0 "
     "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid "
     "WHERE c.relkind IN ('v', 'm', 'c') AND" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'foreign table', n.nspname, '', c.relname, 'SERVER ' || quote_ident(s.srvname) "
     PGSHIFT_RELATION "JOIN pg_foreign_table ft ON ft.ftrelid = c.oid "
     "JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE" PGSHIFT_MANAGED_RELATION},

    {"column settings", 0,
     // STORAGE, COMPRESSION and STATISTICS of the columns of tables and
     // materialized views are modelled (schemas::Column, ColumnSettings);
     // per-column options (n_distinct, ...) of any relation are not.
     // An index expression's statistics target (ALTER INDEX ... ALTER
     // COLUMN n SET STATISTICS): -1 before 17 and NULL from 17 when unset.
     // Both in one scan of pg_attribute (two took 0.1 s at 10,000 tables).
     "SELECT CASE WHEN c.relkind IN ('i', 'I') THEN 'index column statistics' "
     "    ELSE 'column settings' END, n.nspname, c.relname, a.attname, "
     "  CASE WHEN c.relkind IN ('i', 'I') THEN 'SET STATISTICS ' || a.attstattarget "
     "    ELSE '(' || array_to_string(a.attoptions, ', ') || ')' END " PGSHIFT_RELATION
     "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
     "WHERE ((c.relkind IN ('r', 'p', 'm') AND a.attoptions IS NOT NULL AND NOT a.attisdropped) "
     "    OR (c.relkind IN ('i', 'I') AND COALESCE(a.attstattarget, -1) >= 0)) AND"
         PGSHIFT_MANAGED_RELATION},

    {"schema objects", 0,
     "SELECT 'extended statistics', n.nspname, '', s.stxname, pg_get_statisticsobjdef(s.oid) "
     "FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_statistic_ext", "s.oid")
     "UNION ALL "
     "SELECT 'operator', n.nspname, '', o.oprname || '(' || "
     "  CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END || ', ' || "
     "  CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END || ')', '' "
     "FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_operator", "o.oid")
     "UNION ALL "
     "SELECT 'operator class', n.nspname, '', opc.opcname, 'USING ' || am.amname "
     "FROM pg_opclass opc JOIN pg_namespace n ON n.oid = opc.opcnamespace "
     "JOIN pg_am am ON am.oid = opc.opcmethod "
     "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_opclass", "opc.oid")
     "UNION ALL "
     // CREATE OPERATOR CLASS without FAMILY makes a family of the same name:
     // the class stands for it.
     "SELECT 'operator family', n.nspname, '', opf.opfname, 'USING ' || am.amname "
     "FROM pg_opfamily opf JOIN pg_namespace n ON n.oid = opf.opfnamespace "
     "JOIN pg_am am ON am.oid = opf.opfmethod "
     "WHERE n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_opfamily", "opf.oid")
     "  AND NOT EXISTS (SELECT 1 FROM pg_opclass opc WHERE opc.opcfamily = opf.oid "
     "    AND opc.opcname = opf.opfname AND opc.opcnamespace = opf.opfnamespace) "
     "UNION ALL "
     "SELECT 'collation', n.nspname, '', co.collname, '' "
     "FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_collation", "co.oid")
     "UNION ALL "
     "SELECT 'conversion', n.nspname, '', cv.conname, pg_encoding_to_char(cv.conforencoding) "
     "  || ' to ' || pg_encoding_to_char(cv.contoencoding) "
     "FROM pg_conversion cv JOIN pg_namespace n ON n.oid = cv.connamespace "
     "WHERE n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_conversion", "cv.oid")
     "UNION ALL "
     "SELECT 'text search configuration', n.nspname, '', x.cfgname, '' "
     "FROM pg_ts_config x JOIN pg_namespace n ON n.oid = x.cfgnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_ts_config", "x.oid")
     "UNION ALL "
     "SELECT 'text search dictionary', n.nspname, '', x.dictname, '' "
     "FROM pg_ts_dict x JOIN pg_namespace n ON n.oid = x.dictnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_ts_dict", "x.oid")
     "UNION ALL "
     "SELECT 'text search parser', n.nspname, '', x.prsname, '' "
     "FROM pg_ts_parser x JOIN pg_namespace n ON n.oid = x.prsnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_ts_parser", "x.oid")
     "UNION ALL "
     "SELECT 'text search template', n.nspname, '', x.tmplname, '' "
     "FROM pg_ts_template x JOIN pg_namespace n ON n.oid = x.tmplnamespace "
     "WHERE n.nspname = ANY($1::text[]) AND"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_ts_template", "x.oid")
     "UNION ALL "
     "SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END, n.nspname, "
     "  ''," PGSHIFT_SIGNATURE("p") ", '' "
     "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
     "WHERE p.prokind IN ('a', 'w') AND n.nspname = ANY($1::text[]) AND"
     PGSHIFT_STANDALONE("pg_proc", "p.oid")
     "UNION ALL "
     // An array type comes with its element type; a multirange with its range.
     // The element is probed by its oid (typelem): a search by typarray reads
     // all of pg_type per array type once the server cannot hash it (a small
     // work_mem: 6.7 s at 10,000 tables).
     "SELECT CASE t.typtype WHEN 'r' THEN 'range type' WHEN 'b' THEN 'base type' "
     "  ELSE 'shell type' END, n.nspname, '', t.typname, '' "
     "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE (t.typtype = 'r' OR (t.typtype = 'p' AND NOT t.typisdefined) "
     "  OR (t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_type et "
     "    WHERE et.oid = t.typelem AND et.typarray = t.oid))) "
     "  AND n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid")
     "UNION ALL "
     // Defaults: COST 1 for C and internal functions, else 100; ROWS 1000
     // for set-returning functions, else 0.
     "SELECT 'routine options', n.nspname, ''," PGSHIFT_SIGNATURE("p") ", concat_ws(', ', "
     "  'SET ' || array_to_string(p.proconfig, ', SET '), "
     "  CASE p.proparallel WHEN 's' THEN 'PARALLEL SAFE' WHEN 'r' THEN 'PARALLEL RESTRICTED' END, "
     "  CASE WHEN p.proleakproof THEN 'LEAKPROOF' END, "
     "  CASE WHEN p.procost <> CASE WHEN l.lanname IN ('c', 'internal') THEN 1 ELSE 100 END "
     "    THEN 'COST ' || p.procost END, "
     "  CASE WHEN p.prorows <> CASE WHEN p.proretset THEN 1000 ELSE 0 END "
     "    THEN 'ROWS ' || p.prorows END) "
     "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
     "JOIN pg_language l ON l.oid = p.prolang "
     "WHERE p.prokind IN ('f', 'p') AND (p.proconfig IS NOT NULL OR p.proparallel <> 'u' "
     "  OR p.proleakproof "
     "  OR p.procost <> CASE WHEN l.lanname IN ('c', 'internal') THEN 1 ELSE 100 END "
     "  OR p.prorows <> CASE WHEN p.proretset THEN 1000 ELSE 0 END) "
     "  AND n.nspname = ANY($1::text[]) AND" PGSHIFT_STANDALONE("pg_proc", "p.oid")},

    {"publications", 0,
     "SELECT 'publication membership', n.nspname, c.relname, p.pubname, '' "
     PGSHIFT_RELATION "JOIN pg_publication_rel pr ON pr.prrelid = c.oid "
     "JOIN pg_publication p ON p.oid = pr.prpubid WHERE" PGSHIFT_MANAGED_RELATION
     "UNION ALL "
     "SELECT 'publication', '', '', p.pubname, 'FOR ALL TABLES' FROM pg_publication p "
     "WHERE p.puballtables"},

    {"constraint attributes", 180000,
     // NOT ENFORCED CHECKs and foreign keys, temporal keys and foreign keys
     // (WITHOUT OVERLAPS, PERIOD) are left out of the model; a NOT VALID
     // NOT NULL constraint is read as the column's NOT NULL.
     "SELECT CASE WHEN NOT co.conenforced THEN 'NOT ENFORCED constraint' "
     "  WHEN co.conperiod THEN 'temporal constraint' ELSE 'NOT VALID NOT NULL constraint' END, "
     "  n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid) "
     "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
     "JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE (NOT co.conenforced OR co.conperiod OR (co.contype = 'n' AND NOT co.convalidated)) "
     "  AND co.conislocal AND co.conparentid = 0 AND c.relkind IN ('r', 'p') AND"
     PGSHIFT_MANAGED_RELATION},

    {"schema publications", 150000,
     "SELECT 'publication membership', n.nspname, '', '', "
     "  'publication ' || quote_ident(p.pubname) || ' FOR TABLES IN SCHEMA' "
     "FROM pg_publication_namespace pn JOIN pg_namespace n ON n.oid = pn.pnnspid "
     "JOIN pg_publication p ON p.oid = pn.pnpubid WHERE n.nspname = ANY($1::text[])"},

    {"casts and event triggers", 0,
     "SELECT 'cast', '', '', format_type(ca.castsource, NULL) || ' AS ' || "
     "  format_type(ca.casttarget, NULL), CASE ca.castmethod "
     "    WHEN 'f' THEN 'WITH FUNCTION ' || ca.castfunc::regprocedure::text "
     "    WHEN 'i' THEN 'WITH INOUT' ELSE 'WITHOUT FUNCTION' END "
     "FROM pg_cast ca WHERE" PGSHIFT_STANDALONE("pg_cast", "ca.oid")
     "  AND (EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
     "    WHERE t.oid IN (ca.castsource, ca.casttarget) AND n.nspname = ANY($1::text[])) "
     "  OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
     "    WHERE p.oid = ca.castfunc AND n.nspname = ANY($1::text[]))) "
     "UNION ALL "
     "SELECT 'event trigger', '', '', evt.evtname, evt.evtevent FROM pg_event_trigger evt WHERE"
     PGSHIFT_NOT_EXTENSION_MEMBER("pg_event_trigger", "evt.oid")},
};

// The queries with rows about more than the objects in the schemas read
// (database-wide objects: default privileges on large objects, publications
// FOR ALL TABLES, casts, event triggers; the schemas themselves): sent even
// when those schemas hold nothing.
constexpr const char* kBeyondSchemaObjects[] = {"privileges", "publications", "schema publications",
                                                "casts and event triggers"};

bool beyond_schema_objects(const Query& query) {
  return std::any_of(std::begin(kBeyondSchemaObjects), std::end(kBeyondSchemaObjects),
                     [&](const char* what) { return std::string(what) == query.what; });
}

#undef PGSHIFT_NOT_EXTENSION_MEMBER
#undef PGSHIFT_STANDALONE
#undef PGSHIFT_ACL_DIFFERS
#undef PGSHIFT_RELATION
#undef PGSHIFT_MANAGED_RELATION
#undef PGSHIFT_SIGNATURE

// Catalog columns that appeared or went away between PostgreSQL 11 and 18.
struct Token {
  const char* token;
  int since;             // server_version_num from which `column` applies
  const char* column;    // from `since` on
  const char* fallback;  // before
};
constexpr Token kTokens[] = {
    {"@tgparentid@", 130000, "t.tgparentid", "0::oid"},
    {"@relhasoids@", 120000, "false", "c.relhasoids"},
};

std::string versioned(std::string sql, int server_version_num) {
  for (const auto& token : kTokens) {
    const std::string name = token.token;
    const char* text = server_version_num >= token.since ? token.column : token.fallback;
    for (auto pos = sql.find(name); pos != std::string::npos; pos = sql.find(name, pos)) {
      sql.replace(pos, name.size(), text);
    }
  }
  return sql;
}

std::string first_line(const std::string& message) {
  const std::string prefix = "ERROR:  ";
  const auto start = message.rfind(prefix, 0) == 0 ? prefix.size() : 0;
  return message.substr(start, message.find('\n') - start);
}

std::string text_of(const pqxx::field& field) {
  return field.is_null() ? std::string() : field.as<std::string>();
}

}  // namespace

std::vector<schemas::UnmodelledObject> read_unmodelled(pqxx::transaction_base& tx,
                                                       const std::string& schemas_literal,
                                                       int server_version_num,
                                                       bool schemas_hold_objects) {
  std::vector<schemas::UnmodelledObject> objects;
  for (const auto& query : kQueries) {
    if (server_version_num < query.since) continue;
    if (!schemas_hold_objects && !beyond_schema_objects(query)) continue;
    const std::string what = std::string("unmodelled objects (") + query.what + ")";
    pqxx::result rows;
    try {
      rows = tx.exec_params(versioned(query.sql, server_version_num), schemas_literal);
    } catch (const pqxx::insufficient_privilege& e) {
      throw ReadError(what, first_line(e.what()), e.sqlstate().empty() ? "42501" : e.sqlstate());
    } catch (const pqxx::sql_error& e) {
      throw ReadError(what, first_line(e.what()), e.sqlstate());
    } catch (const pqxx::failure& e) {
      throw ReadError(what, first_line(e.what()), "");
    }
    for (const auto& row : rows) {
      objects.push_back(
          {text_of(row[0]), text_of(row[1]), text_of(row[2]), text_of(row[3]), text_of(row[4])});
    }
  }
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  return objects;
}

}  // namespace pgshift::catalog
