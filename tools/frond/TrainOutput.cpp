//===- TrainOutput.cpp - JSON lines and number formats of frond train ----===//
#include "TrainOutput.h"
#include "Cli.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace frond::cli {

// --- JSON output --------------------------------------------------------------

std::string jsonStr(const std::string &s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': r += "\\\""; break;
    case '\\': r += "\\\\"; break;
    case '\n': r += "\\n"; break;
    case '\t': r += "\\t"; break;
    case '\r': r += "\\r"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        r += buf;
      } else {
        r += char(c);
      }
    }
  }
  return r + "\"";
}

/// A number with enough digits to read back the same f32/f64 (null when not
/// finite: JSON has no NaN).
std::string jsonNum(double v, int digits) {
  if (!std::isfinite(v))
    return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string oneKeyPerLine(const std::string &text) {
  std::string pretty;
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    pretty += c;
    if (c == '"' && (i == 0 || text[i - 1] != '\\'))
      inString = !inString;
    if (inString)
      continue;
    if (c == '{')
      ++depth;
    else if (c == '}')
      --depth;
    if (c == '{' && depth == 1)
      pretty += "\n  ";
    else if (c == ',' && depth == 1 && i + 1 < text.size() && text[i + 1] == ' ')
      pretty += "\n ";
  }
  pretty.insert(pretty.size() - 1, "\n");
  return pretty;
}


/// The integer value of `"key": N` in a metrics line, if present.
bool jsonInt(const std::string &line, const std::string &key, long long &out) {
  std::string k = "\"" + key + "\": ";
  size_t p = line.find(k);
  if (p == std::string::npos)
    return false;
  char *end = nullptr;
  out = std::strtoll(line.c_str() + p + k.size(), &end, 10);
  return end != line.c_str() + p + k.size();
}
bool jsonDouble(const std::string &line, const std::string &key, double &out) {
  std::string k = "\"" + key + "\": ";
  size_t p = line.find(k);
  if (p == std::string::npos)
    return false;
  char *end = nullptr;
  out = std::strtod(line.c_str() + p + k.size(), &end);
  return end != line.c_str() + p + k.size();
}

// --- small helpers ----------------------------------------------------------------

std::string commandLine() {
  std::string s;
  for (char **a = g_argv; a && *a; ++a) {
    std::string arg = *a;
    bool plain = !arg.empty() && arg.find_first_of(" \t\"'\\$`") == std::string::npos;
    s += (s.empty() ? "" : " ") + (plain ? arg : "'" + arg + "'");
  }
  return s;
}

std::string timestamp(const char *format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

/// 64-bit FNV-1a, for the model fingerprint.
uint64_t fnv1a(const std::string &s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string hex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

/// 1234567 -> "1,234,567".
std::string withCommas(long long v) {
  std::string d = std::to_string(v < 0 ? -v : v), r;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0)
      r += ',';
    r += d[i];
  }
  return (v < 0 ? "-" : "") + r;
}

std::string duration(double sec) {
  if (!std::isfinite(sec) || sec < 0)
    return "?";
  long long s = (long long)std::llround(sec);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string rate(double tokensPerSec) {
  char buf[32];
  if (tokensPerSec >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", tokensPerSec / 1e6);
  else if (tokensPerSec >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", tokensPerSec / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", tokensPerSec);
  return buf;
}

} // namespace frond::cli
