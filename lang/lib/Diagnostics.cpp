//===- Diagnostics.cpp - rendering located errors -------------------------===//
#include "frond/lang/Diagnostics.h"

#include <algorithm>
#include <sstream>

using namespace frond;

std::string Loc::str() const {
  if (!file)
    return "<command line>";
  return *file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::shared_ptr<const std::string> DiagEngine::addFile(const std::string &path,
                                                       std::string text) {
  auto &name = names[path];
  if (!name)
    name = std::make_shared<const std::string>(path);
  texts[path] = std::move(text);
  return name;
}

const std::string *DiagEngine::text(const std::string &path) const {
  auto it = texts.find(path);
  return it == texts.end() ? nullptr : &it->second;
}

Diagnostic &DiagEngine::error(Loc loc, std::string message) {
  // Past the cap, further errors are swallowed into a scratch diagnostic so
  // callers can keep filling in expected/found without checking.
  if (errors >= kMaxErrors) {
    ++errors;
    overflow = Diagnostic{};
    return overflow;
  }
  // The same error found again (checking a variant re-checks its base) is
  // reported once.
  for (auto &d : diags)
    if (d.severity == Diagnostic::Error && d.message == message &&
        d.loc.line == loc.line && d.loc.col == loc.col && d.loc.file == loc.file) {
      overflow = Diagnostic{};
      return overflow;
    }
  ++errors;
  diags.push_back({Diagnostic::Error, std::move(loc), std::move(message)});
  diags.back().notes = context;
  return diags.back();
}

Diagnostic &DiagEngine::warning(Loc loc, std::string message) {
  diags.push_back({Diagnostic::Warning, std::move(loc), std::move(message)});
  return diags.back();
}

/// Returns line `line` (1-based) of `text`, or "" when out of range.
static std::string lineOf(const std::string &text, unsigned line) {
  size_t start = 0;
  for (unsigned l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos)
      return "";
    ++start;
  }
  size_t end = text.find('\n', start);
  std::string s = text.substr(start, end == std::string::npos ? std::string::npos
                                                              : end - start);
  if (!s.empty() && s.back() == '\r')
    s.pop_back();
  return s;
}

std::string DiagEngine::renderOne(const Diagnostic &d, const std::string *text) {
  static const char *kinds[] = {"error", "warning", "note"};
  std::ostringstream os;
  os << (d.loc.file ? d.loc.str() : std::string("frond")) << ": "
     << kinds[d.severity] << ": " << d.message << "\n";
  if (text && d.loc.valid()) {
    std::string src = lineOf(*text, d.loc.line);
    // Only show printable source lines: binary garbage would corrupt the
    // terminal and a huge line is no help.
    bool printable = src.size() <= 200 &&
                     std::all_of(src.begin(), src.end(), [](unsigned char c) {
                       return c == '\t' || (c >= 32 && c < 127);
                     });
    if (printable) {
      std::string num = std::to_string(d.loc.line);
      os << "  " << num << " | " << src << "\n";
      os << "  " << std::string(num.size(), ' ') << " | ";
      for (unsigned i = 1; i < d.loc.col && i <= src.size(); ++i)
        os << (src[i - 1] == '\t' ? '\t' : ' ');
      os << "^\n";
    }
  }
  if (!d.expected.empty())
    os << "  expected: " << d.expected << "\n";
  if (!d.found.empty())
    os << "  found:    " << d.found << "\n";
  if (!d.fix.empty())
    os << "  fix:      " << d.fix << "\n";
  for (auto &n : d.notes)
    os << "  note:     " << n << "\n";
  return os.str();
}

std::string DiagEngine::render() const {
  std::vector<const Diagnostic *> sorted;
  for (auto &d : diags)
    sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto *a, auto *b) {
    std::string fa = a->loc.file ? *a->loc.file : "", fb = b->loc.file ? *b->loc.file : "";
    return std::tie(fa, a->loc.line, a->loc.col) < std::tie(fb, b->loc.line, b->loc.col);
  });
  std::string out;
  for (auto *d : sorted) {
    const std::string *t = d->loc.file ? text(*d->loc.file) : nullptr;
    out += renderOne(*d, t);
  }
  if (errors > kMaxErrors)
    out += "frond: note: " + std::to_string(errors - kMaxErrors) +
           " more errors not shown (stopped after " +
           std::to_string(kMaxErrors) + ")\n";
  return out;
}
