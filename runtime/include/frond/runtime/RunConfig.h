//===- RunConfig.h - typed run configuration from TOML ----------*- C++ -*-===//
//
// How a run is configured: compiled-in defaults, then a TOML file
// (./frond.toml or --config FILE), then `--set section.key=value` overrides,
// later sources winning. Every value is checked against a fixed schema; an
// unknown key or a wrong type is reported as
//   frond.toml:3:9: error: 'train.steps' must be an integer, found a string
//   ("many")
//     fix: write train.steps = 500
// and all problems in a file are reported together. The [model] and [data]
// sections are open: they hold any scalar and are checked later, against the
// experiment, by semantic analysis (see overrides()).
//
// Nothing here throws: TOML++ is used in its exception-free mode.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace frond {

/// One problem found while loading configuration.
struct ConfigError {
  /// The file, `--set ARG` for a command-line override, or empty when the
  /// problem has no source (a config file that cannot be opened).
  std::string file;
  unsigned line = 0, col = 0; ///< 1-based; 0 when unknown.
  std::string message;
  std::string fix; ///< Optional: how to correct it.

  /// Renders `file:line:col: error: message` (omitting `:line:col` when 0 and
  /// `file: ` when empty), then `\n  fix: ...` when there is a fix.
  std::string str() const;
};

/// A configuration value: integer, float, boolean, string, or (paths.data)
/// a list of strings.
using ConfigValue =
    std::variant<int64_t, double, bool, std::string, std::vector<std::string>>;

/// A value set explicitly (not a default) in one section, for semantic
/// analysis to apply to the experiment. Works with structured bindings:
/// `for (auto &[key, value, origin] : cfg.overrides("model"))`.
struct ConfigOverride {
  std::string key; ///< The key within its section, e.g. `heads`.
  ConfigValue value;
  std::string origin; ///< `file:line:col`, or `--set ARG`.
};

/// The resolved run configuration. Starts with the defaults; loadFile(),
/// loadString() and applySet() merge further sources on top. A source with
/// errors changes nothing.
class RunConfig {
public:
  /// The compiled-in defaults.
  RunConfig();

  /// Merges the TOML file at `path`. Appends every problem found to `errs`
  /// (positions are `path:line:col`); returns true when there was none.
  bool loadFile(const std::string &path, std::vector<ConfigError> &errs);
  /// Like loadFile() for TOML text already in memory; `name` is the file name
  /// used in errors and origins.
  bool loadString(const std::string &text, const std::string &name,
                  std::vector<ConfigError> &errs);
  /// Applies one `section.key=value` override (the argument of `--set`). The
  /// value is read as a TOML value (`500`, `3e-4`, `true`, `"x"`, `["a"]`);
  /// text that is not one (`cpu`, `/data/x`) is taken as a string. For string
  /// keys the text is always taken as written, and for paths.data a single
  /// string means a one-element list. Errors name the argument.
  bool applySet(const std::string &arg, std::vector<ConfigError> &errs);

  /// The value of `section.key`, or nullptr when it is unset (an unknown key,
  /// or a [train] key that only the spec sets).
  const ConfigValue *get(const std::string &dottedKey) const;
  /// The integer at `key`, or `dflt` when it is unset or not an integer.
  int64_t getInt(const std::string &key, int64_t dflt = 0) const;
  /// The number at `key` (integers promoted), or `dflt`.
  double getFloat(const std::string &key, double dflt = 0.0) const;
  /// The boolean at `key`, or `dflt`.
  bool getBool(const std::string &key, bool dflt = false) const;
  /// The string at `key`, or `dflt`.
  std::string getString(const std::string &key,
                        const std::string &dflt = "") const;
  /// The list of strings at `key` (a single string is a one-element list),
  /// or an empty list.
  std::vector<std::string> getStringList(const std::string &key) const;
  /// Where the value of `key` came from: `default`, `file:line:col`, or
  /// `--set ARG`; empty when unset.
  std::string origin(const std::string &dottedKey) const;

  /// The explicitly set (non-default) values of `section`, in the order they
  /// were first given (file order, then --set order).
  std::vector<ConfigOverride> overrides(const std::string &section) const;

  /// The resolved configuration as TOML text (for `frond config`): sections
  /// in schema order, schema keys in schema order, open-section keys in the
  /// order given. Unset [train] keys are omitted. With `withOrigins`, each
  /// line is followed by a `# origin` comment. loadString() accepts the
  /// result and reproduces the same values.
  std::string dump(bool withOrigins = false) const;

  /// The known section names, in schema order.
  static const std::vector<std::string> &sectionNames();

  /// Internal storage of one value; public only so that helpers in
  /// RunConfig.cpp can name it.
  struct Entry {
    std::string section, key;
    ConfigValue value;
    std::string origin;
    bool isDefault = false;
  };

private:
  void assign(Entry e);
  const Entry *find(const std::string &dottedKey) const;

  std::vector<Entry> entries; ///< In first-set order.
};

/// Loads the defaults into `out`, then ./frond.toml when `configPath` is empty
/// and that file exists (or `configPath`, which must exist, otherwise), then
/// each `--set` argument in `sets`. Reports every problem to `errs` and
/// returns true when there was none.
bool loadRunConfig(const std::string &configPath,
                   const std::vector<std::string> &sets, RunConfig &out,
                   std::vector<ConfigError> &errs);

} // namespace frond
