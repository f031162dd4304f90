// Terminal: what the output stream can show. Colour only on a TTY and only
// when NO_COLOR is unset (https://no-color.org); progress bars only on a TTY.
// Decided once per command from the environment and passed down as a value.
#pragma once

#include <cstdio>
#include <string>

namespace saturn {

struct Terminal {
  bool tty = false;     // the stream is a terminal
  bool color = false;   // ANSI colour allowed
  int width = 80;       // columns (COLUMNS, else 80)

  // The terminal facts for a stdio stream, from isatty() and the environment.
  static Terminal detect(FILE* stream);

  // `text` wrapped in an SGR code ("1" bold, "2" dim, "31" red, "32" green)
  // when colour is allowed; unchanged otherwise.
  std::string style(const std::string& text, const char* sgr) const;
};

}  // namespace saturn
