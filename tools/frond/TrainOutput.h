//===- TrainOutput.h - JSON lines and number formats of frond train -------===//
//
// metrics.jsonl rows (JsonObject, read back on --resume with jsonInt /
// jsonDouble) and the human formats of the progress line and the summary.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace frond::cli {

/// `s` as a JSON string literal.
std::string jsonStr(const std::string &s);
/// A number with enough digits to read back the same f32/f64 (null when not
/// finite: JSON has no NaN).
std::string jsonNum(double v, int digits = 9);

/// Builds one JSON object, keys in insertion order.
struct JsonObject {
  std::string body;
  JsonObject &raw(const std::string &key, const std::string &value) {
    body += (body.empty() ? "" : ", ") + jsonStr(key) + ": " + value;
    return *this;
  }
  JsonObject &str(const std::string &key, const std::string &v) { return raw(key, jsonStr(v)); }
  JsonObject &num(const std::string &key, double v, int digits = 9) {
    return raw(key, jsonNum(v, digits));
  }
  JsonObject &integer(const std::string &key, long long v) {
    return raw(key, std::to_string(v));
  }
  std::string text() const { return "{" + body + "}"; }
};

/// Appends `row` to metrics.jsonl (`f`) as one line and flushes it, so that
/// a run that stops loses none of what it measured.
inline void appendRow(std::FILE *f, const JsonObject &row) {
  std::fputs((row.text() + "\n").c_str(), f);
  std::fflush(f);
}

/// A JSON object's text with each top-level key on its own line, for
/// people reading it (run.json).
std::string oneKeyPerLine(const std::string &object);

/// The integer / number value of `"key": N` in a metrics line, if present.
bool jsonInt(const std::string &line, const std::string &key, long long &out);
bool jsonDouble(const std::string &line, const std::string &key, double &out);

/// The command line as given, shell-quoted.
std::string commandLine();
/// The local time in `format` (strftime).
std::string timestamp(const char *format);
/// 64-bit FNV-1a, for the model fingerprint.
uint64_t fnv1a(const std::string &s);
std::string hex(uint64_t v);
/// 1234567 -> "1,234,567".
std::string withCommas(long long v);
/// Seconds as "m:ss" or "h:mm:ss".
std::string duration(double sec);
/// Tokens per second as "812" / "4.6k".
std::string rate(double tokensPerSec);

} // namespace frond::cli
