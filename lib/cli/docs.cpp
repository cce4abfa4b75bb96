// Man page OPTIONS sections and shell completions, generated from a program's options so
// that they cannot drift from --help. scripts/regen-docs.sh writes them into man/ and
// completions/; a test checks the committed files match.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/program.h"
#include "error.h"

namespace mm::cli {

namespace {

struct OptionDoc {
  std::vector<std::string> shorts, longs;
  std::string value;  // empty for flags
  std::string help;
  bool positional = false;
  bool repeats = false;
};

std::vector<OptionDoc> documented_options(const CLI::App& app) {
  std::vector<OptionDoc> docs;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    OptionDoc doc;
    doc.shorts = opt->get_snames();
    doc.longs = opt->get_lnames();
    doc.help = opt->get_description();
    doc.positional = opt->get_positional() && doc.shorts.empty() && doc.longs.empty();
    doc.repeats = opt->get_expected_max() > 1;
    if (opt->get_type_size_max() > 0) doc.value = opt->get_type_name();
    if (doc.positional) doc.value = opt->get_name();
    docs.push_back(doc);
  }
  return docs;
}

// roff needs backslashes and leading dots or quotes escaped; hyphens in options are \-.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool completes_files(const OptionDoc& doc) {
  return doc.value == "FILE" || doc.value == "FILE..." || doc.value == "DIR" || doc.positional;
}

}  // namespace

std::string Program::man_options() const {
  std::string out;
  for (const OptionDoc& doc : documented_options(*app_)) {
    out += ".TP\n";
    if (doc.positional) {
      out += "\\fI" + roff(doc.value) + "\\fR" + (doc.repeats ? " ..." : "") + "\n";
    } else {
      std::string names;
      for (const auto& s : doc.shorts) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + roff(s) + "\\fR";
      for (const auto& l : doc.longs) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff(l) + "\\fR";
      if (!doc.value.empty()) names += " \\fI" + roff(doc.value) + "\\fR";
      out += names + "\n";
    }
    out += roff(doc.help) + "\n";
  }
  return out;
}

std::string Program::completion(const std::string& shell) const {
  std::vector<OptionDoc> docs = documented_options(*app_);
  std::string fn = "_";
  for (char c : name_) fn += c == '-' ? '_' : c;
  std::string out = "# " + shell + " completion for " + name_ + "; generated from its options, do not edit\n";
  if (shell == "bash") {
    std::string words, valued;
    for (const auto& d : docs) {
      for (const auto& s : d.shorts) {
        words += " -" + s;
        if (!d.value.empty()) valued += "|-" + s;
      }
      for (const auto& l : d.longs) {
        words += " --" + l;
        if (!d.value.empty()) valued += "|--" + l;
      }
    }
    out += fn + "() {\n";
    out += "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n";
    if (!valued.empty()) {
      out += "  case $prev in\n";
      for (const auto& d : docs) {
        if (d.value.empty() || d.positional) continue;
        std::string pattern;
        for (const auto& s : d.shorts) pattern += (pattern.empty() ? "-" : "|-") + s;
        for (const auto& l : d.longs) pattern += (pattern.empty() ? "--" : "|--") + l;
        out += "    " + pattern + ") " +
               (completes_files(d) ? "COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n" : "return ;;\n");
      }
      out += "  esac\n";
    }
    out += "  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W '" + words.substr(1) + "' -- \"$cur\"))\n";
    out += "  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n";
    out += "complete -o filenames -F " + fn + " " + name_ + "\n";
  } else if (shell == "zsh") {
    out = "#compdef " + name_ + "\n" + out + "_arguments -s -S \\\n";
    for (const auto& d : docs) {
      std::string help = d.help;
      for (char& c : help)
        if (c == '[' || c == ']' || c == ':') c = ' ';
      std::string action = d.value.empty() ? "" : ":" + d.value + ":" + (completes_files(d) ? "_files" : " ");
      if (d.positional) {
        out += "  " + single_quoted(std::string(d.repeats ? "*" : "") + ":" + help + ":_files") + " \\\n";
        continue;
      }
      std::vector<std::string> names;
      for (const auto& s : d.shorts) names.push_back("-" + s);
      for (const auto& l : d.longs) names.push_back("--" + l);
      std::string exclusive;
      if (names.size() > 1) {
        exclusive = "(";
        for (size_t i = 0; i < names.size(); ++i) exclusive += (i ? " " : "") + names[i];
        exclusive += ")";
      }
      std::string group = names.size() > 1 ? "{" : "";
      for (size_t i = 0; i < names.size(); ++i) group += (i ? "," : "") + names[i];
      if (names.size() > 1) group += "}";
      out += "  " + (exclusive.empty() ? "" : single_quoted(exclusive)) + group +
             single_quoted("[" + help + "]" + action) + " \\\n";
    }
    out += "\n";
  } else if (shell == "fish") {
    for (const auto& d : docs) {
      if (d.positional) continue;
      std::string line = "complete -c " + name_;
      for (const auto& s : d.shorts) line += " -s " + s;
      for (const auto& l : d.longs) line += " -l " + l;
      if (!d.value.empty()) line += completes_files(d) ? " -r -F" : " -x";
      line += " -d " + single_quoted(d.help);
      out += line + "\n";
    }
  } else {
    throw UsageError("--mm-generate: unknown format \"" + shell + "\" (man, bash, zsh or fish)");
  }
  return out;
}

}  // namespace mm::cli
