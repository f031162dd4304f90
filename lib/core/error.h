// saturn::Error: the one exception type library code throws.
//
// Contract: library code never exits and never prints to stdout; it throws an
// Error whose kind maps to a sysexits exit code (docs/ARCHITECTURE.md, "Errors").
// `main` catches it once, prints what() as one line on stderr, and exits with
// exit_code(). Messages are complete sentences-in-a-line: a workload error
// reads "file:line:col: field.path: what was expected, got ...".
// Thread safety: immutable value type.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace saturn {

enum class ErrorKind {
  Usage = 64,        // bad command line
  Data = 65,         // bad workload or data
  NoInput = 66,      // missing input file
  Unavailable = 69,  // a needed service or device is unavailable
  Internal = 70,     // a bug or an unexpected failure of a library
  TempFail = 75,     // temporary failure, safe to retry
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

// Shorthands for the common kinds.
inline Error usage_error(const std::string& m) { return Error(ErrorKind::Usage, m); }
inline Error data_error(const std::string& m) { return Error(ErrorKind::Data, m); }
inline Error no_input_error(const std::string& m) { return Error(ErrorKind::NoInput, m); }
inline Error internal_error(const std::string& m) { return Error(ErrorKind::Internal, m); }

// A failed write or file-system call, from errno: "PATH: WHAT: REASON", exit
// 75 (retry once the cause is gone; a full disk or quota adds what to do).
inline Error io_error(const std::string& path, const std::string& what, int err = errno) {
  std::string m = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) m += " (free space there, then run the same command: it resumes)";
  return Error(ErrorKind::TempFail, m);
}

}  // namespace saturn
