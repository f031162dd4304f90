#include "terminal.h"

#include <unistd.h>

#include <cstdlib>

namespace saturn {

Terminal Terminal::detect(FILE* stream) {
  Terminal t;
  t.tty = ::isatty(::fileno(stream)) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  t.color = t.tty && !(no_color && *no_color) && !(term && std::string(term) == "dumb");
  if (const char* cols = std::getenv("COLUMNS")) {
    int c = std::atoi(cols);
    if (c > 20) t.width = c;
  }
  return t;
}

std::string Terminal::style(const std::string& text, const char* sgr) const {
  if (!color) return text;
  return std::string("\x1b[") + sgr + "m" + text + "\x1b[0m";
}

}  // namespace saturn
