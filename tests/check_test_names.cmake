# cmake -DBINARY=<test binary> -P check_test_names.cmake
#
# Fails when a test case name of BINARY contains ';'. catch_discover_tests
# makes each name a ctest test through a CMake list, where ';' separates
# items: a name holding one became two ctest entries whose filters match no
# test case, so that test never ran and ctest counted both halves as passed.
execute_process(COMMAND "${BINARY}" --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE status)
# Catch2 v2 exits with the number of names it listed: only a failure to run
# (a message, not a number) is an error.
if(NOT status MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${BINARY} --list-test-names-only did not run: ${status}")
endif()
string(REGEX MATCH "[^\n]*;[^\n]*" bad "${names}")
if(bad)
  message(FATAL_ERROR "${BINARY}: a test name contains ';', which splits it in two "
                      "ctest entries that run nothing; use ',' instead:\n  ${bad}")
endif()
