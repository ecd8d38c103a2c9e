//===- RunConfigSchema.h - the run configuration's schema and text helpers -===//
//
// Private to RunConfig*.cpp: the sections and keys a run configuration
// accepts, and the TOML text helpers its messages and dump() share.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_RUNCONFIGSCHEMA_H
#define FROND_RUNTIME_RUNCONFIGSCHEMA_H

#include "frond/runtime/RunConfig.h"

#include <string>
#include <vector>

namespace frond::config {


enum class Kind { Int, Float, Bool, String, StringList, Scalar };

struct KeySpec {
  const char *key;
  Kind kind;
  /// A good value, as TOML text, for `fix:` lines.
  const char *example;
};

struct SectionSpec {
  const char *name;
  /// Open sections take any key with any scalar value.
  bool open;
  std::vector<KeySpec> keys;
};

const std::vector<SectionSpec> &schema();
const SectionSpec *findSection(const std::string &name);
const KeySpec *findKey(const SectionSpec &sec, const std::string &key);
/// The values a configuration holds before any file or `--set`.
std::vector<RunConfig::Entry> defaultEntries();

std::string trim(const std::string &s);
std::string lower(std::string s);
/// Whether `s` can be a bare TOML key.
bool isBareKey(const std::string &s);
/// A TOML basic string literal (with quotes) for `s`.
std::string quote(const std::string &s);
/// `k` bare when TOML allows it, else quoted.
std::string quoteKey(const std::string &k);
/// The shortest text that reads back as `d`, always a TOML float.
std::string formatFloat(double d);
std::string formatValue(const ConfigValue &v);
/// The candidate closest to `word`, or "" when none is close enough.
std::string closest(const std::string &word, const std::vector<std::string> &candidates);
std::string join(const std::vector<std::string> &items, const std::string &sep);
std::vector<std::string> keyNames(const SectionSpec &sec);
/// "[run], [paths], ..." for messages.
std::string sectionList();
/// The section (other than `except`) whose schema has `key`, if any.
const SectionSpec *sectionWithKey(const std::string &key, const SectionSpec *except = nullptr);

} // namespace frond::config

#endif // FROND_RUNTIME_RUNCONFIGSCHEMA_H
