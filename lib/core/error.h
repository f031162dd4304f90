// saturn::Error: the one exception type library code throws.
//
// Contract: library code never exits and never prints to stdout; it throws an
// Error whose kind maps to a sysexits exit code (docs/ARCHITECTURE.md, "Errors").
// `main` catches it once, prints what() as one line on stderr, and exits with
// exit_code(). Messages are complete sentences-in-a-line: a workload error
// reads "file:line:col: field.path: what was expected, got ...".
// Thread safety: immutable value type.
#pragma once

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

}  // namespace saturn
