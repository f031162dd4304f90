// Table: a plain-text table for the terminal: a header row, aligned columns
// (numbers right-aligned), a rule under the header. Cells are UTF-8; width is
// counted in code points. Not thread safe; build, then render once.
#pragma once

#include <string>
#include <vector>

#include "report/terminal.h"

namespace saturn {

class Table {
 public:
  enum class Align { Left, Right };

  // Adds a column; returns *this for chaining.
  Table& column(std::string header, Align align = Align::Left);
  // Adds a row; must have one cell per column.
  void row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The table, each line ending in '\n'; the header is bold when colour is on.
  std::string render(const Terminal& term) const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text in code points.
size_t display_width(const std::string& s);

}  // namespace saturn
