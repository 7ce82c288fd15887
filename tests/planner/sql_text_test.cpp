// planner/sql_text.cpp: the CHECK spelled from a partition bound, which the
// server's implication test must recognise (partitions_db_test runs it).
#include "planner/sql_text.hpp"

#include <catch2/catch.hpp>

using pgshift::planner::detail::partition_constraint_sql;
using pgshift::schemas::PartitionBy;
using pgshift::schemas::PartitionStrategy;

namespace {

PartitionBy by(PartitionStrategy strategy, const std::string& key) {
  PartitionBy partition_by;
  partition_by.strategy = strategy;
  partition_by.key = key;
  return partition_by;
}

}  // namespace

TEST_CASE("a range bound becomes its key's NOT NULL and comparisons, an open side left out",
          "[planner]") {
  const auto range = by(PartitionStrategy::Range, "at");
  CHECK(partition_constraint_sql(range, "FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')",
                                 "public.p") ==
        std::string("at IS NOT NULL AND at >= '2024-01-01' AND at < '2024-02-01'"));
  CHECK(partition_constraint_sql(range, "FOR VALUES FROM (MINVALUE) TO ('a,b)')", "public.p") ==
        std::string("at IS NOT NULL AND at < 'a,b)'"));
  CHECK(partition_constraint_sql(range, "FOR VALUES FROM (0) TO (MAXVALUE)", "public.p") ==
        std::string("at IS NOT NULL AND at >= 0"));
}

TEST_CASE("a list bound becomes IN, NULL among its values an IS NULL alternative", "[planner]") {
  const auto list = by(PartitionStrategy::List, "k");
  CHECK(partition_constraint_sql(list, "FOR VALUES IN ('a', 'b')", "public.p") ==
        std::string("k IS NOT NULL AND k IN ('a', 'b')"));
  CHECK(partition_constraint_sql(list, "FOR VALUES IN (NULL, 'a')", "public.p") ==
        std::string("(k IS NULL OR k IN ('a'))"));
  CHECK(partition_constraint_sql(list, "FOR VALUES IN (NULL)", "public.p") ==
        std::string("k IS NULL"));
}

TEST_CASE("a hash bound becomes satisfies_hash_partition of the parent", "[planner]") {
  CHECK(partition_constraint_sql(by(PartitionStrategy::Hash, "id"),
                                 "FOR VALUES WITH (modulus 4, remainder 1)", "public.p") ==
        std::string("satisfies_hash_partition('public.p'::regclass, 4, 1, id)"));
}

TEST_CASE("a bound not spelled as a CHECK gives nothing", "[planner]") {
  const auto range = by(PartitionStrategy::Range, "a, b");
  CHECK_FALSE(partition_constraint_sql(range, "FOR VALUES FROM (1, 2) TO (3, 4)", "p"));
  CHECK_FALSE(partition_constraint_sql(by(PartitionStrategy::Range, "lower(x)"),
                                       "FOR VALUES FROM ('a') TO ('b')", "p"));
  CHECK_FALSE(partition_constraint_sql(by(PartitionStrategy::Range, "at"), "DEFAULT", "p"));
}
