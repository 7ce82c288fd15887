// Running a program from a test: the pgshift binary, psql, a script.
#pragma once

#include <string>
#include <vector>

namespace pgshift::testing {

struct CommandResult {
  int exit_code = -1;  // the program's exit status; 128 + N when killed by signal N
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs argv[0] (searched on PATH when it has no '/') with the arguments in
// `argv`, without a shell, stdin closed; waits for it and returns its exit
// status and output. Throws std::runtime_error when the program cannot be
// started. REQUIRES: argv is not empty.
CommandResult run_command(const std::vector<std::string>& argv);

// A new, empty directory under $TMPDIR (or /tmp), removed with its contents
// on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `text` to path()/name and returns that path. Throws
  // std::runtime_error when the file cannot be written.
  std::string write(const std::string& name, const std::string& text) const;
  // Contents of path()/name. Throws std::runtime_error when it cannot be read.
  std::string read(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace pgshift::testing
