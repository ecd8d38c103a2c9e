//===- DataSetting.h - reading a data setting's call form ------*- C++ -*-===//
//
// The experiment's data setting is a call, `name(arg = value, ...)`, as
// elaboration prints it. This reads it back and binds its arguments to a
// signature with defaults. Internal to the runtime (Data.cpp, DataGen*.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace frond::runtime::detail {

/// One literal argument value.
struct SettingValue {
  enum Kind { Int, Float, Str, Bool } kind = Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;    ///< The string's contents (escapes resolved)
  std::string text; ///< The value as written
};

/// A parsed call: `name(args)`, arguments named or positional ("").
struct SettingCall {
  std::string name;
  std::vector<std::pair<std::string, SettingValue>> args;
};

/// Parses `text` as a call with literal arguments. Returns "" on success,
/// else a message saying where it stopped and what it expected.
std::string parseCall(const std::string &text, SettingCall &out);

/// A call's arguments bound to its parameters, defaults filled in. Getters
/// return "" or an error naming the argument and the expected type.
class BoundArgs {
public:
  std::string getInt(const std::string &name, int64_t &out) const;
  /// Integers are accepted as numbers.
  std::string getFloat(const std::string &name, double &out) const;
  std::string getString(const std::string &name, std::string &out) const;

  std::map<std::string, SettingValue> values;
};

/// One parameter of a data builtin: its name and default ("" = required),
/// written as a literal (`8`, `0.9`, `"bytes"`).
struct DataParam {
  const char *name;
  const char *dflt;
};

/// The data builtins' signatures, the same as the language's
/// (lang/lib/Builtins.cpp; DataTest checks they agree).
const std::map<std::string, std::vector<DataParam>> &dataSignatures();

/// Binds `call` to its signature. Returns "" or the error (an unknown
/// source, an unknown or repeated argument, a missing required one).
std::string bindArgs(const SettingCall &call, BoundArgs &out);

} // namespace frond::runtime::detail
