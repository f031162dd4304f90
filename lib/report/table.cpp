#include "table.h"

#include <algorithm>
#include <stdexcept>

namespace saturn {

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Table& Table::column(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
  return *this;
}

void Table::row(std::vector<std::string> cells) {
  if (cells.size() != headers_.size()) throw std::logic_error("Table::row: wrong number of cells");
  rows_.push_back(std::move(cells));
}

std::string Table::render(const Terminal& term) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = display_width(headers_[c]);
    for (const auto& r : rows_) width[c] = std::max(width[c], display_width(r[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      const bool last = c + 1 == cells.size();
      if (aligns_[c] == Align::Right) out += std::string(pad, ' ') + cells[c];
      else out += cells[c] + (last ? "" : std::string(pad, ' '));
      if (!last) out += "  ";
    }
    return out + "\n";
  };
  std::string head = line(headers_);
  std::string out = term.color ? term.style(head.substr(0, head.size() - 1), "1") + "\n" : head;
  size_t total = 0;
  for (size_t c = 0; c < width.size(); ++c) total += width[c] + (c ? 2 : 0);
  out += term.style(std::string(total, '-'), "2") + "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

}  // namespace saturn
