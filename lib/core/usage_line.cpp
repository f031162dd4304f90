#include "core/usage_line.h"

#include "core/text.h"
#include "core/units.h"

namespace saturn {
namespace {

// What CLI11's ExtrasError lists after "...not expected: ".
std::vector<std::string> extras_of(const std::string& what) {
  std::vector<std::string> out;
  const auto colon = what.find(": ");
  if (colon == std::string::npos) return out;
  std::string rest = what.substr(colon + 2), word;
  for (char c : rest + " ") {
    if (c != ' ') {
      word += c;
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  return out;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
  return names;
}

}  // namespace

std::string usage_line(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  const CLI::App* sub = nullptr;
  for (const CLI::App* s : app.get_subcommands()) sub = s;  // the one parsed, if any
  const std::string who = sub ? "saturn " + sub->get_name() : "saturn";
  const std::string help = " (" + who + " --help)";
  if (!sub) {
    // No command was recognised: the first word that is not an option was meant as one.
    for (const auto& a : args) {
      if (a.empty() || a[0] == '-') continue;
      const std::string near = did_you_mean(a, command_names(app));
      return "saturn: unknown command " + saturn::quoted(a) + (near.empty() ? "" : "; did you mean " + near + "?") + help;
    }
    for (const auto& a : args)
      if (a.size() > 1 && a[0] == '-') {
        const std::string name = a.substr(0, a.find('='));
        const std::string near = did_you_mean(name, option_names(app));
        return "saturn: unknown option " + name + (near.empty() ? "" : "; did you mean " + near + "?") + help;
      }
    if (dynamic_cast<const CLI::RequiredError*>(&e)) {
      std::string list;
      for (const auto& n : command_names(app)) list += (list.empty() ? "" : ", ") + n;
      return "saturn: a command is required: " + list + help;
    }
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    for (const auto& x : extras_of(e.what())) {
      if (x.size() > 1 && x[0] == '-') {
        const std::string name = x.substr(0, x.find('='));
        const std::string near = did_you_mean(name, option_names(sub ? *sub : app));
        return who + ": unknown option " + name + (near.empty() ? "" : "; did you mean " + near + "?") + help;
      }
      return who + ": unexpected argument " + saturn::quoted(x) + help;
    }
  }
  return who + ": " + e.what() + help;
}

CLI::Validator at_least(int64_t lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        const auto v = parse_integer(s);
        if (v && *v >= lo) return "";
        return "expected a whole number of at least " + std::to_string(lo) + ", got " + saturn::quoted(s);
      },
      "INT >= " + std::to_string(lo));
}

}  // namespace saturn
