//===- SettingValue.cpp - parse the printed form of a setting's value ---===//
#include "SettingValue.h"

#include <cctype>
#include <cstdlib>

using namespace frond::runtime::detail;

namespace {

struct Parser {
  const std::string &t;
  size_t i = 0;
  std::string error;
  int depth = 0;

  explicit Parser(const std::string &t) : t(t) {}

  void ws() {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i])))
      ++i;
  }
  bool fail(const std::string &msg) {
    if (error.empty())
      error = msg + " at column " + std::to_string(i + 1) + " of '" + t + "'";
    return false;
  }
  static bool identStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }
  static bool identChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  }
  std::string ident() {
    size_t s = i;
    while (i < t.size() && identChar(t[i]))
      ++i;
    return t.substr(s, i - s);
  }

  bool value(SValue &out) {
    if (++depth > 64)
      return fail("value nested too deeply");
    ws();
    size_t start = i;
    bool ok = valueInner(out);
    out.text = t.substr(start, i - start);
    --depth;
    return ok;
  }

  bool valueInner(SValue &out) {
    if (i >= t.size())
      return fail("expected a value");
    char c = t[i];
    if (c == '"') {
      ++i;
      out.kind = SValue::Str;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < t.size()) {
          char e = t[++i];
          out.s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          out.s += t[i];
        }
        ++i;
      }
      if (i >= t.size())
        return fail("unterminated string");
      ++i;
      return true;
    }
    if (c == '[') {
      ++i;
      out.kind = SValue::List;
      ws();
      if (i < t.size() && t[i] == ']') {
        ++i;
        return true;
      }
      while (true) {
        SValue v;
        if (!value(v))
          return false;
        out.list.push_back(std::move(v));
        ws();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        if (i < t.size() && t[i] == ']') {
          ++i;
          return true;
        }
        return fail("expected ',' or ']'");
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      const char *b = t.c_str() + i;
      char *e = nullptr;
      double d = std::strtod(b, &e);
      if (e == b)
        return fail("expected a number");
      std::string lit(b, size_t(e - b));
      out.kind = SValue::Number;
      out.num = d;
      out.isInt = lit.find_first_of(".eEinfINFnaN") == std::string::npos;
      i += size_t(e - b);
      return true;
    }
    if (identStart(c)) {
      std::string id = ident();
      ws();
      if (i < t.size() && t[i] == '(') {
        ++i;
        out.kind = SValue::Call;
        out.s = id;
        ws();
        if (i < t.size() && t[i] == ')') {
          ++i;
          return true;
        }
        while (true) {
          ws();
          // name = value, or a positional value
          size_t save = i;
          if (i < t.size() && identStart(t[i])) {
            std::string name = ident();
            ws();
            if (i < t.size() && t[i] == '=' && (i + 1 >= t.size() || t[i + 1] != '=')) {
              ++i;
              SValue v;
              if (!value(v))
                return false;
              out.named.push_back({name, std::move(v)});
              goto next;
            }
            i = save;
          }
          {
            SValue v;
            if (!value(v))
              return false;
            out.list.push_back(std::move(v));
          }
        next:
          ws();
          if (i < t.size() && t[i] == ',') {
            ++i;
            continue;
          }
          if (i < t.size() && t[i] == ')') {
            ++i;
            return true;
          }
          return fail("expected ',' or ')'");
        }
      }
      if (id == "true" || id == "false") {
        out.kind = SValue::Bool;
        out.b = id == "true";
        return true;
      }
      if (id == "none") {
        out.kind = SValue::None;
        return true;
      }
      // A bare name (an enum-like word): keep it as a string.
      out.kind = SValue::Str;
      out.s = id;
      return true;
    }
    return fail(std::string("unexpected '") + c + "'");
  }
};

} // namespace

bool frond::runtime::detail::parseSettingValue(const std::string &text, SValue &out,
                                               std::string &error) {
  Parser p(text);
  if (!p.value(out)) {
    error = p.error;
    return false;
  }
  p.ws();
  if (p.i != text.size()) {
    p.fail("unexpected text after the value");
    error = p.error;
    return false;
  }
  return true;
}

bool frond::runtime::detail::bindArgs(const SValue &call, const std::vector<std::string> &allowed,
                                      std::map<std::string, const SValue *> &out,
                                      std::string &error) {
  if (call.list.size() > allowed.size()) {
    error = call.s + "() takes at most " + std::to_string(allowed.size()) + " arguments, got " +
            std::to_string(call.list.size() + call.named.size());
    return false;
  }
  for (size_t k = 0; k < call.list.size(); ++k)
    out[allowed[k]] = &call.list[k];
  for (auto &[name, v] : call.named) {
    bool known = false;
    for (auto &a : allowed)
      known |= a == name;
    if (!known) {
      std::string list;
      for (auto &a : allowed)
        list += (list.empty() ? "" : ", ") + a;
      error = call.s + "() has no argument '" + name + "' (it takes " + list + ")";
      return false;
    }
    if (out.count(name)) {
      error = call.s + "(): argument '" + name + "' given twice";
      return false;
    }
    out[name] = &v;
  }
  return true;
}

bool frond::runtime::detail::numberArg(const std::map<std::string, const SValue *> &args,
                                       const std::string &name, const std::string &what,
                                       double &out, std::string &error, double min,
                                       bool strictlyPositive) {
  auto it = args.find(name);
  if (it == args.end())
    return true;
  const SValue &v = *it->second;
  if (v.kind != SValue::Number || v.num != v.num) {
    error = what + ": " + name + " must be a number, got '" + v.text + "'";
    return false;
  }
  if (strictlyPositive ? !(v.num > 0) : !(v.num >= min)) {
    error = what + ": " + name + " must be " +
            (strictlyPositive ? std::string("> 0") : ">= " + std::to_string(min)) + ", got " +
            v.text;
    return false;
  }
  out = v.num;
  return true;
}
