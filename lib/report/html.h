// Text into HTML and SVG: every character that could end a text node or an
// attribute value (& < > " ') becomes an entity, so a job id or a
// hyperparameter value cannot inject markup wherever it is placed (text,
// double- or single-quoted attributes). Pure.
#pragma once

#include <string>

namespace saturn {

std::string html_escape(const std::string& text);

}  // namespace saturn
