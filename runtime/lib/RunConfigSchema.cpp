//===- RunConfigSchema.cpp - the run configuration's schema and text helpers ===//
#include "RunConfigSchema.h"

#include "frond/lang/Loader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace frond::config {

const std::vector<SectionSpec> &schema() {
  static const std::vector<SectionSpec> s = {
      {"run",
       false,
       {{"device", Kind::String, "\"cuda\""},
        {"out_dir", Kind::String, "\"runs\""},
        {"seed", Kind::Int, "42"},
        {"threads", Kind::Int, "8"},
        {"progress", Kind::Bool, "false"},
        {"cache_dir", Kind::String, "\".frond-cache\""}}},
      {"paths",
       false,
       {{"stdlib", Kind::String, "\"/path/to/stdlib\""},
        {"data", Kind::StringList, "[\"data\", \".\"]"}}},
      {"train",
       false,
       {{"steps", Kind::Int, "500"},
        {"batch", Kind::Int, "32"},
        {"seq_len", Kind::Int, "256"},
        {"eval_every", Kind::Int, "100"},
        {"checkpoint_every", Kind::Int, "1000"},
        {"lr", Kind::Float, "3e-4"},
        {"clip", Kind::Float, "1.0"}}},
      {"generate",
       false,
       {{"max_tokens", Kind::Int, "128"},
        {"temperature", Kind::Float, "0.8"},
        {"top_k", Kind::Int, "40"},
        {"top_p", Kind::Float, "0.9"}}},
      {"model", true, {}},
      {"data", true, {}},
  };
  return s;
}

const SectionSpec *findSection(const std::string &name) {
  for (const SectionSpec &s : schema())
    if (name == s.name)
      return &s;
  return nullptr;
}

const KeySpec *findKey(const SectionSpec &sec, const std::string &key) {
  for (const KeySpec &k : sec.keys)
    if (key == k.key)
      return &k;
  return nullptr;
}

std::vector<RunConfig::Entry> defaultEntries() {
  auto e = [](const char *sec, const char *key, ConfigValue v) {
    RunConfig::Entry entry;
    entry.section = sec;
    entry.key = key;
    entry.value = std::move(v);
    entry.origin = "default";
    entry.isDefault = true;
    return entry;
  };
  return {
      e("run", "device", std::string("cpu")),
      e("run", "out_dir", std::string("runs")),
      e("run", "seed", int64_t(0)),
      e("run", "threads", int64_t(0)),
      e("run", "progress", true),
      e("run", "cache_dir", std::string("")), // "": the user cache directory
      e("paths", "stdlib", std::string("")),
      e("paths", "data", std::vector<std::string>{"."}),
      e("generate", "max_tokens", int64_t(128)),
      e("generate", "temperature", 1.0),
      e("generate", "top_k", int64_t(0)),
      e("generate", "top_p", 1.0),
  };
}

//===----------------------------------------------------------------------===//
// Text helpers
//===----------------------------------------------------------------------===//

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool isBareKey(const std::string &s) {
  if (s.empty())
    return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_' && c != '-')
      return false;
  return true;
}

/// A TOML basic string literal (with quotes) for `s`.
std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04X", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

std::string quoteKey(const std::string &k) {
  return isBareKey(k) ? k : quote(k);
}

/// The shortest text that reads back as `d`, always recognisable as a TOML
/// float (`1.0`, not `1`).
std::string formatFloat(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

std::string formatValue(const ConfigValue &v) {
  struct Visitor {
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return formatFloat(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string &s) const { return quote(s); }
    std::string operator()(const std::vector<std::string> &l) const {
      std::string out = "[";
      for (size_t i = 0; i < l.size(); ++i)
        out += (i ? ", " : "") + quote(l[i]);
      return out + "]";
    }
  };
  return std::visit(Visitor{}, v);
}

/// The candidate closest to `word`, or "" when none is close enough.
std::string closest(const std::string &word,
                    const std::vector<std::string> &candidates) {
  std::string w = lower(word), best;
  size_t bestDist = std::max<size_t>(1, std::min<size_t>(3, w.size() / 3)) + 1;
  for (const std::string &c : candidates) {
    std::string lc = lower(c);
    size_t dist = editDistance(w, lc);
    // A prefix of a long name ("temp" for "temperature") is close too.
    if (w.size() >= 3 && lc.compare(0, w.size(), w) == 0)
      dist = std::min<size_t>(dist, 1);
    if (dist < bestDist) {
      bestDist = dist;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string> &items,
                 const std::string &sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? sep : "") + items[i];
  return out;
}

std::vector<std::string> keyNames(const SectionSpec &sec) {
  std::vector<std::string> names;
  for (const KeySpec &k : sec.keys)
    names.push_back(k.key);
  return names;
}

std::string sectionList() {
  std::vector<std::string> names;
  for (const SectionSpec &s : schema())
    names.push_back(std::string("[") + s.name + "]");
  return join(names, ", ");
}

/// The section (other than `except`) whose schema has `key`, if any.
const SectionSpec *sectionWithKey(const std::string &key,
                                  const SectionSpec *except) {
  for (const SectionSpec &s : schema())
    if (&s != except && findKey(s, key))
      return &s;
  return nullptr;
}

} // namespace frond::config
