//===- DataSetting.cpp - reading a data setting's call form ---------------===//
#include "DataSetting.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

using namespace frond::runtime::detail;

namespace {

/// A recursive-descent reader over one line of text.
struct Reader {
  const std::string &t;
  size_t p = 0;

  void skip() {
    while (p < t.size() && std::isspace((unsigned char)t[p]))
      ++p;
  }
  bool eat(char c) {
    skip();
    if (p < t.size() && t[p] == c)
      return ++p, true;
    return false;
  }
  std::string where() const {
    if (p >= t.size())
      return "at the end";
    return "at column " + std::to_string(p + 1) + " ('" + t.substr(p, 12) + "')";
  }
  bool ident(std::string &out) {
    skip();
    size_t s = p;
    if (p < t.size() && (std::isalpha((unsigned char)t[p]) || t[p] == '_'))
      while (p < t.size() && (std::isalnum((unsigned char)t[p]) || t[p] == '_'))
        ++p;
    out = t.substr(s, p - s);
    return !out.empty();
  }
  /// A dotted name: `text`, `task.needle`.
  bool dotted(std::string &out) {
    if (!ident(out))
      return false;
    std::string part;
    while (p < t.size() && t[p] == '.') {
      ++p;
      if (!ident(part))
        return false;
      out += "." + part;
    }
    return true;
  }
  std::string literal(SettingValue &v) {
    skip();
    size_t s = p;
    if (p < t.size() && t[p] == '"') {
      v.kind = SettingValue::Str;
      for (++p; p < t.size() && t[p] != '"'; ++p) {
        char c = t[p];
        if (c == '\\' && p + 1 < t.size()) {
          char e = t[++p];
          c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        v.s += c;
      }
      if (p >= t.size())
        return "the string starting at column " + std::to_string(s + 1) + " is not closed";
      ++p;
      v.text = t.substr(s, p - s);
      return "";
    }
    std::string word;
    if (ident(word)) {
      if (word != "true" && word != "false")
        return "expected a value (a number, a string or true/false), found '" + word + "'";
      v.kind = SettingValue::Bool;
      v.b = word == "true";
      v.text = word;
      return "";
    }
    // A number: let strtod find its extent, then decide int or float.
    const char *begin = t.c_str() + p;
    char *end = nullptr;
    errno = 0;
    double f = std::strtod(begin, &end);
    if (end == begin)
      return "expected a value " + where();
    std::string num(begin, size_t(end - begin));
    p += num.size();
    v.text = num;
    if (num.find_first_of("xX") != std::string::npos)
      return "write the number " + num + " in decimal";
    if (num.find_first_of(".eEnNiI") == std::string::npos) {
      errno = 0;
      long long i = std::strtoll(num.c_str(), nullptr, 10);
      if (errno == ERANGE)
        return "the integer " + num + " is too large";
      v.kind = SettingValue::Int;
      v.i = i;
      v.f = double(i);
      return "";
    }
    if (!std::isfinite(f))
      return "the number " + num + " is not finite";
    v.kind = SettingValue::Float;
    v.f = f;
    return "";
  }
};

const char *kindWord(SettingValue::Kind k) {
  switch (k) {
  case SettingValue::Int: return "an integer";
  case SettingValue::Float: return "a number";
  case SettingValue::Str: return "a string";
  case SettingValue::Bool: return "a boolean";
  }
  return "a value";
}

std::string sourcesList() {
  std::string out;
  for (auto &[name, params] : dataSignatures())
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

} // namespace

std::string frond::runtime::detail::parseCall(const std::string &text, SettingCall &out) {
  Reader r{text};
  out = SettingCall();
  if (!r.dotted(out.name))
    return "expected a data source such as text(\"file.txt\") " + r.where();
  if (!r.eat('('))
    return "expected '(' after '" + out.name + "' " + r.where();
  r.skip();
  if (!r.eat(')')) {
    do {
      // `name = value` or a positional value.
      std::string name;
      size_t save = r.p;
      if (r.ident(name) && r.eat('=')) {
      } else {
        name.clear();
        r.p = save;
      }
      SettingValue v;
      if (std::string e = r.literal(v); !e.empty())
        return e;
      out.args.push_back({name, v});
    } while (r.eat(','));
    if (!r.eat(')'))
      return "expected ',' or ')' " + r.where();
  }
  r.skip();
  if (r.p != text.size())
    return "unexpected text after the call " + r.where();
  return "";
}

const std::map<std::string, std::vector<DataParam>> &
frond::runtime::detail::dataSignatures() {
  static const std::map<std::string, std::vector<DataParam>> table = {
      {"text", {{"path", ""}, {"tokenizer", "\"bytes\""}, {"split", "0.9"}}},
      {"task.associative_recall",
       {{"pairs", "8"}, {"queries", "4"}, {"vocab", "64"}, {"length", "64"}}},
      {"task.copy_from_source", {{"src_len", "32"}, {"tgt_len", "32"}, {"vocab", "64"}}},
      {"task.needle", {{"length", "256"}, {"depth", "0.5"}, {"vocab", "64"}}},
      {"task.icl_labels",
       {{"demos", "32"}, {"classes", "2"}, {"vocab", "64"}, {"length", "128"}}},
  };
  return table;
}

std::string frond::runtime::detail::bindArgs(const SettingCall &call, BoundArgs &out) {
  auto sig = dataSignatures().find(call.name);
  if (sig == dataSignatures().end())
    return "'" + call.name + "' is not a data source\n  fix: use one of " + sourcesList();
  const std::vector<DataParam> &params = sig->second;
  std::string names;
  for (const DataParam &p : params)
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  out.values.clear();
  size_t positional = 0;
  bool named = false;
  for (auto &[name, value] : call.args) {
    std::string key = name;
    if (key.empty()) {
      if (named)
        return "a positional argument follows a named one\n  fix: name every argument "
               "after the first named one (" + names + ")";
      if (positional >= params.size())
        return call.name + " takes at most " + std::to_string(params.size()) +
               " arguments (" + names + ")";
      key = params[positional++].name;
    } else {
      named = true;
    }
    bool known = false;
    for (const DataParam &p : params)
      known |= key == p.name;
    if (!known)
      return call.name + " has no argument '" + key + "'\n  fix: its arguments are " + names;
    if (out.values.count(key))
      return "the argument '" + key + "' is given twice";
    out.values[key] = value;
  }
  for (const DataParam &p : params) {
    if (out.values.count(p.name))
      continue;
    if (!*p.dflt)
      return call.name + " needs the argument '" + p.name + "'\n  fix: write " + call.name +
             "(" + p.name + " = ...)";
    SettingCall dflt;
    parseCall(std::string("d(") + p.dflt + ")", dflt);
    out.values[p.name] = dflt.args.at(0).second;
  }
  return "";
}

std::string BoundArgs::getInt(const std::string &name, int64_t &out) const {
  const SettingValue &v = values.at(name);
  if (v.kind != SettingValue::Int)
    return name + " must be an integer, found " + kindWord(v.kind) + " (" + v.text + ")";
  out = v.i;
  return "";
}

std::string BoundArgs::getFloat(const std::string &name, double &out) const {
  const SettingValue &v = values.at(name);
  if (v.kind != SettingValue::Int && v.kind != SettingValue::Float)
    return name + " must be a number, found " + kindWord(v.kind) + " (" + v.text + ")";
  out = v.f;
  return "";
}

std::string BoundArgs::getString(const std::string &name, std::string &out) const {
  const SettingValue &v = values.at(name);
  if (v.kind != SettingValue::Str)
    return name + " must be a string, found " + kindWord(v.kind) + " (" + v.text + ")";
  out = v.s;
  return "";
}
