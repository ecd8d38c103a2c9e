//===- SettingValue.h - parse the printed form of a setting's value -*- C++ -*-===//
//
// ExperimentInstance::settings records values as the language prints them
// (Value::str): `adamw(lr = 0.003, betas = [0.9, 0.95])`, `2000`, `"cosine"`,
// `none`. This reads that form back: numbers, booleans, strings, none, lists
// and calls with named (or positional) arguments, nested. Internal to the
// runtime library.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <map>
#include <string>
#include <vector>

namespace frond::runtime::detail {

struct SValue {
  enum Kind { Number, Bool, Str, None, List, Call } kind = None;
  double num = 0;
  bool isInt = false;
  bool b = false;
  std::string s;                                      ///< Str; Call: the callee
  std::vector<SValue> list;                           ///< List; Call: positional args
  std::vector<std::pair<std::string, SValue>> named;  ///< Call: named args
  std::string text;                                   ///< The source text, for messages

  const SValue *arg(const std::string &name) const {
    for (auto &[k, v] : named)
      if (k == name)
        return &v;
    return nullptr;
  }
};

/// Parses `text` completely; false with `error` set otherwise.
bool parseSettingValue(const std::string &text, SValue &out, std::string &error);

/// Reads a call's arguments against `allowed` (in order: positional args
/// bind to them in turn). Unknown names are errors naming `what`.
bool bindArgs(const SValue &call, const std::vector<std::string> &allowed,
              std::map<std::string, const SValue *> &out, std::string &error);

/// A number argument; error unless it is a number (>= min when given).
bool numberArg(const std::map<std::string, const SValue *> &args, const std::string &name,
               const std::string &what, double &out, std::string &error,
               double min = -1e300, bool strictlyPositive = false);

} // namespace frond::runtime::detail
