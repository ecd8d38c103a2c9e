//===- BenchArgs.h - the benchmarks' command lines --------------*- C++ -*-===//
//
// forward_cpu and decode_cpu take the same kinds of arguments: `--set K=V`
// (a model parameter unless K names a section: numbers become Int or
// Float, anything else a string), integer flags (`--name N` or
// `--name=N`, non-negative), `-h`/`--help` and one positional SPEC.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Sema.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace frond::bench {

struct Args {
  /// Integer flags by name ("--batch"), each with what to do with its value.
  std::map<std::string, std::function<void(long long)>> ints;
  std::vector<Override> overrides;
  std::string spec;
  bool help = false;
};

/// Parses argv into `args`; returns "" or what is wrong, for the usage line.
inline std::string parseArgs(int argc, char **argv, Args &args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], flag = a.substr(0, a.find('=')), v;
    auto value = [&] {
      if (flag.size() < a.size()) {
        v = a.substr(flag.size() + 1);
        return true;
      }
      if (i + 1 >= argc)
        return false;
      v = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      args.help = true;
    } else if (flag == "--set") {
      if (!value() || v.find('=') == std::string::npos)
        return "--set needs KEY=VALUE";
      std::string key = v.substr(0, v.find('=')), val = v.substr(v.find('=') + 1);
      if (key.find('.') == std::string::npos)
        key = "model." + key;
      char *end = nullptr;
      long long n = std::strtoll(val.c_str(), &end, 10);
      Value parsed = *end || val.empty() ? Value::ofStr(val) : Value::ofInt(n);
      if (*end) {
        double d = std::strtod(val.c_str(), &end);
        if (!*end)
          parsed = Value::ofFloat(d);
      }
      args.overrides.push_back({key, parsed, "--set " + v});
    } else if (auto it = args.ints.find(flag); it != args.ints.end()) {
      if (!value())
        return flag + " needs a number";
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0)
        return flag + " needs a non-negative integer";
      it->second(n);
    } else if (a[0] == '-') {
      return "unknown option '" + a + "'";
    } else {
      args.spec = a;
    }
  }
  return "";
}

} // namespace frond::bench
