// The statement table: every kind of statement the planner emits is one row,
// and the row decides what the statement does to a live database. All lock,
// hazard, duration, timeout and transactionality decisions of the planner are
// made here only (as AlterTableGetLockLevel in tablecmds.c says of ALTER
// TABLE): a rule chooses statements and their order, Builder::statement
// copies the row onto the step. A step of several statements takes the
// strongest lock per relation, the longest duration and timeout, every
// hazard, and runs in a transaction only if all of them can.
//
// Sources are cited per row in statements.cpp; every row is run against the
// server and compared with pg_locks (tests/planner/statements_db_test.cpp),
// and every statement that removes data or a definition is checked to carry
// data_loss (tests/planner/statements_test.cpp).
#pragma once

#include <array>
#include <vector>

#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::planner {

// X(Enumerator, "snake_name"): one entry per statement kind, the single list
// from which the enum, its names and kAllStatements are generated.
#define PGSHIFT_STATEMENTS(X)                                                      \
  /* Schemas and extensions */                                                     \
  X(CreateSchema, "create_schema")                                                 \
  X(DropSchema, "drop_schema")                                                     \
  X(CreateExtension, "create_extension")                                           \
  X(AlterExtensionSetSchema, "alter_extension_set_schema")                         \
  X(AlterExtensionUpdate, "alter_extension_update")                                \
  X(DropExtension, "drop_extension")                                               \
  /* Types */                                                                      \
  X(CreateEnum, "create_enum")                                                     \
  X(AlterEnumAddValue, "alter_enum_add_value")                                     \
  X(RenameEnumValue, "rename_enum_value")                                          \
  X(RenameTypeToReplace, "rename_type_to_replace")                                 \
  X(DropEnumReplaced, "drop_enum_replaced")                                        \
  X(CreateCompositeType, "create_composite_type")                                  \
  X(AlterCompositeType, "alter_composite_type")                                    \
  X(AlterCompositeTypeDropAttribute, "alter_composite_type_drop_attribute")        \
  X(DropType, "drop_type")                                                         \
  X(CreateDomain, "create_domain")                                                 \
  X(AlterDomainDefault, "alter_domain_default")                                    \
  X(AlterDomainSetNotNull, "alter_domain_set_not_null")                            \
  X(AlterDomainDropNotNull, "alter_domain_drop_not_null")                          \
  X(AlterDomainAddConstraintNotValid, "alter_domain_add_constraint_not_valid")     \
  X(AlterDomainValidateConstraint, "alter_domain_validate_constraint")             \
  X(AlterDomainDropConstraint, "alter_domain_drop_constraint")                     \
  X(AlterDomainDropConstraintToReplace, "alter_domain_drop_constraint_to_replace") \
  X(DropDomain, "drop_domain")                                                     \
  /* Sequences */                                                                  \
  X(CreateSequence, "create_sequence")                                             \
  X(AlterSequence, "alter_sequence")                                               \
  X(AlterSequenceOwnedBy, "alter_sequence_owned_by")                               \
  X(SetSequenceValue, "set_sequence_value")                                        \
  X(RenameSequenceIntoPlace, "rename_sequence_into_place")                         \
  X(RenameSequence, "rename_sequence")                                             \
  X(SetSequenceSchema, "set_sequence_schema")                                      \
  X(DropSequence, "drop_sequence")                                                 \
  /* Routines */                                                                   \
  X(CreateOrReplaceFunction, "create_or_replace_function")                         \
  X(DropFunction, "drop_function")                                                 \
  X(DropFunctionToReplace, "drop_function_to_replace")                             \
  /* Tables */                                                                     \
  X(CreateTable, "create_table")                                                   \
  X(CreateTableLike, "create_table_like")                                          \
  X(CreatePartitionOf, "create_partition_of")                                      \
  X(AttachPartition, "attach_partition")                                           \
  X(AttachPartitionWithDefault, "attach_partition_with_default")                   \
  X(AttachPartitionScanning, "attach_partition_scanning")                          \
  X(DetachPartition, "detach_partition")                                           \
  X(DetachPartitionConcurrently, "detach_partition_concurrently")                  \
  X(DetachPartitionConcurrentlyReferenced, "detach_partition_concurrently_referenced") \
  X(DetachPartitionFinalize, "detach_partition_finalize")                          \
  X(RenameTable, "rename_table")                                                   \
  X(RenameTableBehindView, "rename_table_behind_view")                             \
  X(SetTableSchema, "set_table_schema")                                            \
  X(ReplicaIdentity, "replica_identity")                                           \
  X(SetLogged, "set_logged")                                                       \
  X(SetUnlogged, "set_unlogged")                                                   \
  X(SetStorageParameters, "set_storage_parameters")                                \
  X(SetStorageParametersExclusive, "set_storage_parameters_exclusive")             \
  X(DropTable, "drop_table")                                                       \
  /* Columns */                                                                    \
  X(AddColumn, "add_column")                                                       \
  X(AddColumnRewrite, "add_column_rewrite")                                        \
  X(RenameColumn, "rename_column")                                                 \
  X(RenameColumnIntoPlace, "rename_column_into_place")                             \
  X(AlterColumnType, "alter_column_type")                                          \
  X(AlterColumnTypeRewrite, "alter_column_type_rewrite")                           \
  X(DropExpression, "drop_expression")                                             \
  X(SetDefault, "set_default")                                                     \
  X(DropDefault, "drop_default")                                                   \
  X(DropDefaultToSetAgain, "drop_default_to_set_again")                            \
  X(DropDefaultToReplace, "drop_default_to_replace")                               \
  X(SetNotNull, "set_not_null")                                                    \
  X(SetNotNullProvedByCheck, "set_not_null_proved_by_check")                       \
  X(DropNotNull, "drop_not_null")                                                  \
  X(AddIdentity, "add_identity")                                                   \
  X(SetIdentityGeneration, "set_identity_generation")                              \
  X(SetIdentityOptions, "set_identity_options")                                    \
  X(DropIdentity, "drop_identity")                                                 \
  X(DropColumn, "drop_column")                                                     \
  X(DropGeneratedColumnToAddAgain, "drop_generated_column_to_add_again")           \
  X(BackfillBatch, "backfill_batch")                                               \
  X(SetColumnStorage, "set_column_storage")                                        \
  X(SetColumnCompression, "set_column_compression")                                \
  X(SetColumnStatistics, "set_column_statistics")                                  \
  /* Constraints */                                                                \
  X(AddCheck, "add_check")                                                         \
  X(AddCheckNotValid, "add_check_not_valid")                                       \
  X(AddDefaultPartitionCheckNotValid, "add_default_partition_check_not_valid")     \
  X(AddKey, "add_key")                                                             \
  X(AddKeyUsingIndex, "add_key_using_index")                                       \
  X(AddKeyAttachingPartitions, "add_key_attaching_partitions")                     \
  X(AddForeignKeyAttachingPartitions, "add_foreign_key_attaching_partitions")      \
  X(AddForeignKey, "add_foreign_key")                                              \
  X(AddForeignKeyNotValid, "add_foreign_key_not_valid")                            \
  X(AddExclusionConstraint, "add_exclusion_constraint")                            \
  X(ValidateCheck, "validate_check")                                               \
  X(ValidateForeignKey, "validate_foreign_key")                                    \
  X(RenameConstraint, "rename_constraint")                                         \
  X(DropConstraint, "drop_constraint")                                             \
  X(DropAttachCheck, "drop_attach_check")                                          \
  X(DropConstraintToReplace, "drop_constraint_to_replace")                         \
  X(DropConstraintToAddAgain, "drop_constraint_to_add_again")                      \
  X(DropForeignKey, "drop_foreign_key")                                            \
  X(DropForeignKeyToReplace, "drop_foreign_key_to_replace")                        \
  /* Indexes */                                                                    \
  X(CreateIndex, "create_index")                                                   \
  X(CreateIndexConcurrently, "create_index_concurrently")                          \
  X(CreateIndexOnOnly, "create_index_on_only")                                     \
  X(AttachPartitionIndex, "attach_partition_index")                                \
  X(RenameIndex, "rename_index")                                                   \
  X(DropIndex, "drop_index")                                                       \
  X(DropIndexConcurrently, "drop_index_concurrently")                              \
  X(DropIndexToReplace, "drop_index_to_replace")                                   \
  X(DropIndexConcurrentlyToReplace, "drop_index_concurrently_to_replace")          \
  X(DropIndexToCreateAgain, "drop_index_to_create_again")                          \
  X(DropIndexConcurrentlyToCreateAgain, "drop_index_concurrently_to_create_again") \
  /* Triggers */                                                                   \
  X(CreateTrigger, "create_trigger")                                               \
  X(CreateOrReplaceTrigger, "create_or_replace_trigger")                           \
  X(DropTrigger, "drop_trigger")                                                   \
  X(DropTriggerToReplace, "drop_trigger_to_replace")                               \
  X(SetTriggerFiring, "set_trigger_firing")                                        \
  X(NarrowTriggerFiring, "narrow_trigger_firing")                                  \
  /* Row-level security */                                                         \
  X(CreatePolicy, "create_policy")                                                 \
  X(AlterPolicy, "alter_policy")                                                   \
  X(RenamePolicy, "rename_policy")                                                 \
  X(DropPolicy, "drop_policy")                                                     \
  X(DropRestrictivePolicy, "drop_restrictive_policy")                              \
  X(DropPolicyToReplace, "drop_policy_to_replace")                                 \
  X(DropPolicyToCreateAgain, "drop_policy_to_create_again")                        \
  X(DropRestrictivePolicyToCreateAgain, "drop_restrictive_policy_to_create_again") \
  X(EnableRowSecurity, "enable_row_security")                                      \
  X(DisableRowSecurity, "disable_row_security")                                    \
  X(ForceRowSecurity, "force_row_security")                                        \
  X(NoForceRowSecurity, "no_force_row_security")                                   \
  /* Views */                                                                      \
  X(CreateView, "create_view")                                                     \
  X(ReplaceView, "replace_view")                                                   \
  X(DropView, "drop_view")                                                         \
  X(DropViewToRecreate, "drop_view_to_recreate")                                   \
  X(DropViewToReplace, "drop_view_to_replace")                                     \
  X(DropCompatibilityView, "drop_compatibility_view")                              \
  X(RenameView, "rename_view")                                                     \
  X(SetViewSchema, "set_view_schema")                                              \
  X(CreateMaterializedView, "create_materialized_view")                            \
  X(DropMaterializedView, "drop_materialized_view")                                \
  X(DropMaterializedViewToRecreate, "drop_materialized_view_to_recreate")          \
  X(RenameMaterializedView, "rename_materialized_view")                            \
  X(SetMaterializedViewSchema, "set_materialized_view_schema")                     \
  /* Comments */                                                                   \
  X(CommentOnObject, "comment_on_object")                                          \
  X(CommentOnRelation, "comment_on_relation")                                      \
  X(CommentOnIndex, "comment_on_index")                                            \
  X(CommentOnTableMember, "comment_on_table_member")                               \
  /* Privileges */                                                                 \
  X(GrantPrivileges, "grant_privileges")                                           \
  X(RevokePrivileges, "revoke_privileges")                                         \
  X(RevokeAsGrantor, "revoke_as_grantor")                                          \
  X(GrantOnCreated, "grant_on_created")                                            \
  X(RevokeOnCreated, "revoke_on_created")                                          \
  X(AlterDefaultPrivilegesGrant, "alter_default_privileges_grant")                 \
  X(AlterDefaultPrivilegesRevoke, "alter_default_privileges_revoke")               \
  /* Owners */                                                                     \
  X(AlterRelationOwner, "alter_relation_owner")                                    \
  X(AlterObjectOwner, "alter_object_owner")                                        \
  X(OwnerOnCreated, "owner_on_created")

enum class Statement {
#define PGSHIFT_STATEMENT_ENUM(name, text) name,
  PGSHIFT_STATEMENTS(PGSHIFT_STATEMENT_ENUM)
#undef PGSHIFT_STATEMENT_ENUM
};

inline constexpr Statement kAllStatements[] = {
#define PGSHIFT_STATEMENT_LIST(name, text) Statement::name,
    PGSHIFT_STATEMENTS(PGSHIFT_STATEMENT_LIST)
#undef PGSHIFT_STATEMENT_LIST
};

// "add_column", ...
const char* statement_name(Statement statement);

// The relations a statement touches, by their role in it.
enum class Target {
  Relation,           // the table, view, materialized view or sequence it names
  Index,              // the index it names (DROP INDEX, ALTER INDEX, COMMENT ON INDEX)
  Referenced,         // the other tables: a foreign key's referenced table, a sequence's
                      // owner, the tables whose foreign keys reference a detach's parent
  PartitionParent,    // the parent of the partition it creates, attaches or drops
  TablesUsingDomain,  // every table with a column of the domain it alters
  ParentIndex,        // the partitioned index a partition's index is attached to
  Partitions,         // every partition of the partitioned table it names
  DefaultPartition,   // the DEFAULT partition of the parent it attaches to
};

struct TargetLock {
  Target target;
  plans::LockMode mode;
};

// Which of PlanOptions' statement timeouts a statement gets; a step gets the
// longest of its statements' (this order).
enum class TimeoutClass { Catalog, Backfill, Validate, Rewrite, Concurrent };

struct StatementRow {
  // Locks held on relations that exist before the statement runs (a relation
  // the statement creates is invisible to other sessions until commit). Locks
  // on an index follow its table's and are listed only for statements that
  // name the index. ACCESS SHARE taken to read a referenced relation while
  // parsing (a view's query) is not listed: it blocks only ACCESS EXCLUSIVE.
  std::vector<TargetLock> locks;
  bool transactional = true;  // can run inside a transaction block
  // How long the locks are held on a populated relation. On a relation the
  // plan creates or the catalog shows empty, BlockingScan and Rewrite are
  // instant: Builder::statement makes them CatalogOnly and drops the
  // table_rewrite and access_exclusive_scan hazards.
  plans::DurationClass duration = plans::DurationClass::CatalogOnly;
  TimeoutClass timeout = TimeoutClass::Catalog;
  std::vector<plans::Hazard> hazards;
};

// The row of `statement` on a server of version `server_version_num`
// (110000 to 189999; versions outside are planned as the nearest).
StatementRow statement_row(Statement statement, int server_version_num);

// The same row on a relation that holds rows (`populated`) or not: on a
// relation the plan creates or the catalog shows empty there is nothing to
// scan or rewrite, so BlockingScan and Rewrite become CatalogOnly (timeout
// class Catalog) and the table_rewrite and access_exclusive_scan hazards go.
// The planner (Builder::statement) and `pgshift lint` both judge through it.
StatementRow statement_row(Statement statement, int server_version_num, bool populated);

// Whether a table with these statistics holds rows, as the planner decides
// it: has_rows when it was asked of the table, else not both reltuples and
// relpages 0 (reltuples -1, never analyzed, proves nothing).
bool table_populated(const schemas::TableStats& stats);

// True when ALTER COLUMN TYPE from -> to keeps the stored bytes (no rewrite,
// so the statement is AlterColumnType rather than AlterColumnTypeRewrite):
// binary-coercible casts of `facts`, plus the length and precision increases
// ATColumnChangeRequiresRewrite (tablecmds.c) accepts. Both types normalised
// (normalize_type).
bool type_change_without_rewrite(const std::string& from, const std::string& to,
                                 const schemas::CatalogFacts& facts);

}  // namespace pgshift::planner
