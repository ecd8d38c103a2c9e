//===- RunConfig.cpp - typed run configuration from TOML ------------------===//
//
// The schema, the TOML-to-schema checks and their error messages, `--set`
// parsing, and dump(). TOML++ is used header-only and without exceptions
// (its parse_result API), so this file builds with or without -fexceptions
// and needs nothing from libtomlplusplus.so.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/RunConfig.h"
#include "RunConfigSchema.h"

#if defined(TOML_SHARED_LIB) && TOML_SHARED_LIB
// Linking tomlplusplus::tomlplusplus would switch to the shared library.
#error "RunConfig.cpp uses TOML++ header-only; see runtime/CMakeLists.txt"
#endif
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace frond;
using namespace frond::config;

namespace {

//===----------------------------------------------------------------------===//
// Checking TOML values against the schema
//===----------------------------------------------------------------------===//

/// Where values come from: a file (with positions) or one `--set` argument.
struct Ctx {
  std::string file; ///< File name, or `--set ARG`.
  bool isSet = false;
  std::vector<ConfigError> &errs;

  void error(const toml::source_region *where, std::string message,
             std::string fix) {
    ConfigError e;
    e.file = file;
    if (!isSet && where) {
      e.line = where->begin.line;
      e.col = where->begin.column;
    }
    e.message = std::move(message);
    e.fix = std::move(fix);
    errs.push_back(std::move(e));
  }

  /// `write a.b = v` in a file, `use --set a.b=v` on the command line.
  std::string write(const std::string &dotted, const std::string &value) const {
    if (isSet)
      return "use --set " + dotted + "=" + value;
    return "write " + dotted + " = " + value;
  }

  std::string originOf(const toml::source_region &where) const {
    if (isSet)
      return file;
    return file + ":" + std::to_string(where.begin.line) + ":" +
           std::to_string(where.begin.column);
  }
};

/// "a string ("many")", "an integer (3)", "a table", ...
std::string describe(const toml::node &n) {
  switch (n.type()) {
  case toml::node_type::string: {
    std::string s = n.as_string()->get();
    if (s.size() > 40)
      s = s.substr(0, 37) + "...";
    return "a string (" + quote(s) + ")";
  }
  case toml::node_type::integer:
    return "an integer (" + std::to_string(n.as_integer()->get()) + ")";
  case toml::node_type::floating_point:
    return "a float (" + formatFloat(n.as_floating_point()->get()) + ")";
  case toml::node_type::boolean:
    return std::string("a boolean (") +
           (n.as_boolean()->get() ? "true" : "false") + ")";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::table:
    return "a table";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  default:
    return "nothing";
  }
}

const char *kindName(Kind k) {
  switch (k) {
  case Kind::Int:
    return "an integer";
  case Kind::Float:
    return "a number";
  case Kind::Bool:
    return "a boolean (true or false)";
  case Kind::String:
    return "a string";
  case Kind::StringList:
    return "an array of strings";
  case Kind::Scalar:
    return "a single value (integer, float, boolean or string)";
  }
  return "";
}

/// The region to point at for a node: its own, when it has one.
const toml::source_region *where(const toml::node &n) {
  return n.source().begin.line ? &n.source() : nullptr;
}

/// The fix for a value of the wrong type at `dotted`.
std::string typeFix(const Ctx &ctx, const std::string &dotted, Kind kind,
                    const char *example, const toml::node &found) {
  if (kind == Kind::Int) {
    if (auto *f = found.as_floating_point()) {
      double d = f->get();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
        return ctx.write(dotted, std::to_string(static_cast<int64_t>(d))) +
               " (no decimal point)";
    }
  }
  if (auto *s = found.as_string()) {
    // A quoted value of the right type: "500" for 500.
    std::string text = trim(s->get());
    auto res = toml::parse("v = " + text);
    if (res && res.table().size() == 1) {
      const toml::node *v = res.table().get("v");
      bool ok = v && ((kind == Kind::Int && v->is_integer()) ||
                      (kind == Kind::Float && v->is_number()) ||
                      (kind == Kind::Bool && v->is_boolean()));
      if (ok)
        return ctx.write(dotted, text) + " (without quotes)";
    }
  }
  return ctx.write(dotted, example);
}

/// Range and enumeration checks for typed schema keys. Returns false (after
/// reporting) when `v` is out of range.
bool checkRange(Ctx &ctx, const std::string &dotted, const KeySpec &spec,
                const ConfigValue &v, const toml::node &n) {
  auto fail = [&](const std::string &what, const std::string &fix) {
    ctx.error(where(n),
              "'" + dotted + "' must be " + what + ", found " + formatValue(v),
              fix);
    return false;
  };
  auto atLeast = [&](int64_t lo, const char *what) {
    if (std::get<int64_t>(v) >= lo)
      return true;
    return fail(what, ctx.write(dotted, spec.example));
  };
  auto finiteAtLeast0 = [&]() {
    double d = std::get<double>(v);
    if (std::isfinite(d) && d >= 0)
      return true;
    return fail("a finite number >= 0", ctx.write(dotted, spec.example));
  };

  if (dotted == "run.device") {
    const std::string &s = std::get<std::string>(v);
    if (s == "cpu" || s == "cuda")
      return true;
    std::string l = lower(s);
    std::string fix = (l == "cpu" || l == "cuda")
                          ? ctx.write(dotted, quote(l))
                          : ctx.write(dotted, "\"cpu\"") + " (or \"cuda\")";
    return fail("\"cpu\" or \"cuda\"", fix);
  }
  if (dotted == "run.seed")
    return atLeast(0, "0 or more");
  if (dotted == "run.threads")
    return atLeast(0, "0 (all cores) or more");
  if (dotted == "train.steps" || dotted == "train.batch" ||
      dotted == "train.seq_len")
    return atLeast(1, "1 or more");
  if (dotted == "train.eval_every" || dotted == "train.checkpoint_every" ||
      dotted == "generate.max_tokens" || dotted == "generate.top_k")
    return atLeast(0, "0 or more");
  if (dotted == "train.lr" || dotted == "train.clip" ||
      dotted == "generate.temperature")
    return finiteAtLeast0();
  if (dotted == "generate.top_p") {
    double d = std::get<double>(v);
    if (d > 0 && d <= 1)
      return true;
    return fail("in (0, 1]", ctx.write(dotted, spec.example));
  }
  return true;
}

/// Converts `n` to the schema type of `sec.spec`; reports and returns false
/// when it does not fit.
bool convert(Ctx &ctx, const SectionSpec &sec, const KeySpec *spec,
             const std::string &key, const toml::node &n, ConfigValue &out) {
  std::string dotted = std::string(sec.name) + "." + key;
  Kind kind = spec ? spec->kind : Kind::Scalar;
  bool ok = true;
  switch (kind) {
  case Kind::Int:
    if (auto *i = n.as_integer())
      out = i->get();
    else
      ok = false;
    break;
  case Kind::Float:
    if (auto *f = n.as_floating_point())
      out = f->get();
    else if (auto *i = n.as_integer())
      out = static_cast<double>(i->get());
    else
      ok = false;
    break;
  case Kind::Bool:
    if (auto *b = n.as_boolean())
      out = b->get();
    else
      ok = false;
    break;
  case Kind::String:
    if (auto *s = n.as_string())
      out = s->get();
    else
      ok = false;
    break;
  case Kind::StringList: {
    auto *arr = n.as_array();
    if (!arr) {
      ok = false;
      break;
    }
    std::vector<std::string> list;
    bool elemsOk = true;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node &el = *arr->get(i);
      if (auto *s = el.as_string()) {
        list.push_back(s->get());
        continue;
      }
      ctx.error(where(el) ? where(el) : where(n),
                "'" + dotted + "[" + std::to_string(i) +
                    "]' must be a string, found " + describe(el),
                ctx.write(dotted, spec->example) +
                    " (every entry a quoted directory)");
      elemsOk = false;
    }
    if (!elemsOk)
      return false;
    out = std::move(list);
    break;
  }
  case Kind::Scalar:
    if (auto *i = n.as_integer())
      out = i->get();
    else if (auto *f = n.as_floating_point())
      out = f->get();
    else if (auto *b = n.as_boolean())
      out = b->get();
    else if (auto *s = n.as_string())
      out = s->get();
    else {
      ctx.error(where(n),
                "'" + dotted + "' must be " + kindName(kind) + ", found " +
                    describe(n),
                std::string("[") + sec.name +
                    "] values override single experiment parameters; " +
                    ctx.write(dotted, "<value>") +
                    " (nested keys and arrays are not allowed)");
      return false;
    }
    return true;
  }
  if (!ok) {
    ctx.error(where(n),
              "'" + dotted + "' must be " + kindName(kind) + ", found " +
                  describe(n),
              typeFix(ctx, dotted, kind, spec->example, n));
    return false;
  }
  return checkRange(ctx, dotted, *spec, out, n);
}

/// Reports an unknown key in a known, closed section.
void unknownKey(Ctx &ctx, const toml::source_region *at, const SectionSpec &sec,
                const std::string &key) {
  std::string dotted = std::string(sec.name) + "." + key;
  std::string fix;
  std::string near = closest(key, keyNames(sec));
  if (!near.empty()) {
    fix = "did you mean '" + std::string(sec.name) + "." + near + "'?";
  } else if (const SectionSpec *other = sectionWithKey(key, &sec)) {
    fix = "did you mean '" + std::string(other->name) + "." + key +
          "'? it belongs in [" + other->name + "]";
  } else {
    fix = "valid keys in [" + std::string(sec.name) +
          "] are: " + join(keyNames(sec), ", ");
  }
  ctx.error(at, "unknown key '" + dotted + "'", fix);
}

/// Reports an unknown section name.
void unknownSection(Ctx &ctx, const toml::source_region *at,
                    const std::string &name) {
  std::vector<std::string> names;
  for (const SectionSpec &s : schema())
    names.push_back(s.name);
  std::string near = closest(name, names);
  std::string fix = near.empty() ? "" : "did you mean [" + near + "]? ";
  fix += "valid sections are: " + sectionList();
  ctx.error(at, "unknown section [" + name + "]", fix);
}

/// Key/value pairs of a table in source order (TOML++ keeps them sorted by
/// name).
std::vector<std::pair<const toml::key *, const toml::node *>>
inSourceOrder(const toml::table &t) {
  std::vector<std::pair<const toml::key *, const toml::node *>> items;
  for (auto &&[k, v] : t)
    items.emplace_back(&k, &v);
  auto pos = [](const std::pair<const toml::key *, const toml::node *> &p) {
    const toml::source_region &r =
        p.first->source().begin.line ? p.first->source() : p.second->source();
    return std::make_pair(r.begin.line, r.begin.column);
  };
  std::stable_sort(
      items.begin(), items.end(),
      [&](const auto &a, const auto &b) { return pos(a) < pos(b); });
  return items;
}

const toml::source_region *keyWhere(const toml::key &k, const toml::node &v) {
  if (k.source().begin.line)
    return &k.source();
  return where(v);
}

} // namespace

//===----------------------------------------------------------------------===//
// ConfigError
//===----------------------------------------------------------------------===//

std::string ConfigError::str() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line) {
      out += ":" + std::to_string(line);
      if (col)
        out += ":" + std::to_string(col);
    }
    out += ": ";
  }
  out += "error: " + message;
  if (!fix.empty())
    out += "\n  fix: " + fix;
  return out;
}

//===----------------------------------------------------------------------===//
// RunConfig
//===----------------------------------------------------------------------===//

RunConfig::RunConfig() : entries(defaultEntries()) {}

const std::vector<std::string> &RunConfig::sectionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const SectionSpec &s : schema())
      n.push_back(s.name);
    return n;
  }();
  return names;
}

void RunConfig::assign(Entry e) {
  for (Entry &old : entries)
    if (old.section == e.section && old.key == e.key) {
      old = std::move(e);
      return;
    }
  entries.push_back(std::move(e));
}

const RunConfig::Entry *RunConfig::find(const std::string &dottedKey) const {
  size_t dot = dottedKey.find('.');
  if (dot == std::string::npos)
    return nullptr;
  std::string sec = dottedKey.substr(0, dot), key = dottedKey.substr(dot + 1);
  for (const Entry &e : entries)
    if (e.section == sec && e.key == key)
      return &e;
  return nullptr;
}

bool RunConfig::loadFile(const std::string &path,
                         std::vector<ConfigError> &errs) {
  std::error_code ec;
  bool isDir = std::filesystem::is_directory(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (isDir || !in) {
    ConfigError e;
    e.message = "cannot open config file '" + path + "'" +
                (isDir ? ": it is a directory" : "");
    e.fix = "check the path given to --config (without --config, Frond "
            "reads ./frond.toml when it exists)";
    errs.push_back(std::move(e));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return loadString(text.str(), path, errs);
}

bool RunConfig::loadString(const std::string &text, const std::string &name,
                           std::vector<ConfigError> &errs) {
  size_t firstErr = errs.size();
  Ctx ctx{name, false, errs};

  toml::parse_result res = toml::parse(text, name);
  if (!res) {
    const toml::parse_error &pe = res.error();
    ctx.error(&pe.source(), std::string(pe.description()), "");
    return false;
  }

  std::vector<Entry> pending;
  for (auto [k, v] : inSourceOrder(res.table())) {
    std::string secName(k->str());
    const SectionSpec *sec = findSection(secName);
    if (!sec) {
      if (!v->is_table()) {
        // A key outside any section.
        std::string fix;
        if (const SectionSpec *owner = sectionWithKey(secName))
          fix = "did you mean '" + std::string(owner->name) + "." + secName +
                "'? put it after a [" + owner->name + "] line";
        else
          fix =
              "keys belong in a section; valid sections are: " + sectionList();
        ctx.error(keyWhere(*k, *v), "key '" + secName + "' is not in a section",
                  fix);
      } else {
        unknownSection(ctx, keyWhere(*k, *v), secName);
      }
      continue;
    }
    const toml::table *tbl = v->as_table();
    if (!tbl) {
      ctx.error(where(*v) ? where(*v) : keyWhere(*k, *v),
                "'" + secName + "' must be a section (a table), found " +
                    describe(*v),
                "write [" + secName + "] on a line of its own, then its keys");
      continue;
    }
    for (auto [kk, vv] : inSourceOrder(*tbl)) {
      std::string key(kk->str());
      const KeySpec *spec = nullptr;
      if (!sec->open) {
        spec = findKey(*sec, key);
        if (!spec) {
          unknownKey(ctx, keyWhere(*kk, *vv), *sec, key);
          continue;
        }
      }
      ConfigValue value;
      if (!convert(ctx, *sec, spec, key, *vv, value))
        continue;
      Entry e;
      e.section = sec->name;
      e.key = key;
      e.value = std::move(value);
      const toml::source_region *at = keyWhere(*kk, *vv);
      e.origin = at ? ctx.originOf(*at) : name;
      pending.push_back(std::move(e));
    }
  }

  if (errs.size() != firstErr) {
    std::stable_sort(errs.begin() + firstErr, errs.end(),
                     [](const ConfigError &a, const ConfigError &b) {
                       return std::make_pair(a.line, a.col) <
                              std::make_pair(b.line, b.col);
                     });
    return false;
  }
  for (Entry &e : pending)
    assign(std::move(e));
  return true;
}

bool RunConfig::applySet(const std::string &arg,
                         std::vector<ConfigError> &errs) {
  Ctx ctx{"--set " + arg, true, errs};
  const char *example =
      "use --set section.key=value, e.g. --set train.steps=500";

  size_t eq = arg.find('=');
  if (eq == std::string::npos) {
    std::string key = trim(arg);
    const SectionSpec *sec = nullptr;
    size_t dot = key.find('.');
    if (dot != std::string::npos)
      sec = findSection(key.substr(0, dot));
    bool known = sec && (sec->open || findKey(*sec, key.substr(dot + 1)));
    ctx.error(nullptr, "missing '=' in --set argument",
              known ? "use --set " + key + "=VALUE" : example);
    return false;
  }
  std::string key = trim(arg.substr(0, eq));
  std::string raw = trim(arg.substr(eq + 1));
  if (key.empty()) {
    ctx.error(nullptr, "empty key in --set argument", example);
    return false;
  }
  size_t dot = key.find('.');
  if (dot == std::string::npos) {
    std::string fix = example;
    if (const SectionSpec *owner = sectionWithKey(key))
      fix = "did you mean '" + std::string(owner->name) + "." + key +
            "'? use --set " + owner->name + "." + key + "=" + raw;
    ctx.error(nullptr, "key '" + key + "' has no section", fix);
    return false;
  }
  std::string secName = key.substr(0, dot), name = key.substr(dot + 1);
  if (!isBareKey(secName) || !isBareKey(name)) {
    ctx.error(nullptr, "invalid key '" + key + "' in --set argument",
              "write the key as section.key (letters, digits, '_' and '-'), "
              "e.g. --set train.steps=500");
    return false;
  }
  const SectionSpec *sec = findSection(secName);
  if (!sec) {
    unknownSection(ctx, nullptr, secName);
    return false;
  }
  const KeySpec *spec = nullptr;
  if (!sec->open) {
    spec = findKey(*sec, name);
    if (!spec) {
      unknownKey(ctx, nullptr, *sec, name);
      return false;
    }
  }

  // Read the text as a TOML value when it is one.
  toml::parse_result parsed;
  const toml::node *node = nullptr;
  if (raw.find_first_of("\r\n") == std::string::npos) {
    parsed = toml::parse("v = " + raw);
    if (parsed && parsed.table().size() == 1)
      node = parsed.table().get("v");
  }
  toml::value<std::string> rawNode(raw);
  Kind kind = spec ? spec->kind : Kind::Scalar;

  ConfigValue value;
  if (kind == Kind::String) {
    value = node && node->is_string() ? node->as_string()->get() : raw;
    if (!checkRange(ctx, key, *spec, value, rawNode))
      return false;
  } else if (kind == Kind::StringList && !(node && node->is_array())) {
    value = std::vector<std::string>{
        node && node->is_string() ? node->as_string()->get() : raw};
  } else if (kind == Kind::Scalar && node &&
             (node->is_date() || node->is_time() || node->is_date_time())) {
    value = raw;
  } else if (!convert(ctx, *sec, spec, name, node ? *node : rawNode, value)) {
    return false;
  }

  Entry e;
  e.section = sec->name;
  e.key = name;
  e.value = std::move(value);
  e.origin = ctx.file;
  assign(std::move(e));
  return true;
}

const ConfigValue *RunConfig::get(const std::string &dottedKey) const {
  const Entry *e = find(dottedKey);
  return e ? &e->value : nullptr;
}

int64_t RunConfig::getInt(const std::string &key, int64_t dflt) const {
  const ConfigValue *v = get(key);
  if (v)
    if (auto *i = std::get_if<int64_t>(v))
      return *i;
  return dflt;
}

double RunConfig::getFloat(const std::string &key, double dflt) const {
  const ConfigValue *v = get(key);
  if (v) {
    if (auto *d = std::get_if<double>(v))
      return *d;
    if (auto *i = std::get_if<int64_t>(v))
      return static_cast<double>(*i);
  }
  return dflt;
}

bool RunConfig::getBool(const std::string &key, bool dflt) const {
  const ConfigValue *v = get(key);
  if (v)
    if (auto *b = std::get_if<bool>(v))
      return *b;
  return dflt;
}

std::string RunConfig::getString(const std::string &key,
                                 const std::string &dflt) const {
  const ConfigValue *v = get(key);
  if (v)
    if (auto *s = std::get_if<std::string>(v))
      return *s;
  return dflt;
}

std::vector<std::string>
RunConfig::getStringList(const std::string &key) const {
  const ConfigValue *v = get(key);
  if (v) {
    if (auto *l = std::get_if<std::vector<std::string>>(v))
      return *l;
    if (auto *s = std::get_if<std::string>(v))
      return {*s};
  }
  return {};
}

std::string RunConfig::origin(const std::string &dottedKey) const {
  const Entry *e = find(dottedKey);
  return e ? e->origin : "";
}

std::vector<ConfigOverride>
RunConfig::overrides(const std::string &section) const {
  std::vector<ConfigOverride> out;
  for (const Entry &e : entries)
    if (e.section == section && !e.isDefault)
      out.push_back({e.key, e.value, e.origin});
  return out;
}

std::string RunConfig::dump(bool withOrigins) const {
  std::string out;
  auto line = [&](const Entry &e) {
    out += quoteKey(e.key) + " = " + formatValue(e.value);
    if (withOrigins) {
      // A comment ends at a newline: keep odd --set text on one line.
      std::string origin = e.origin;
      for (char &ch : origin)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
          ch = ' ';
      out += "  # " + origin;
    }
    out += "\n";
  };
  for (const SectionSpec &sec : schema()) {
    if (!out.empty())
      out += "\n";
    out += std::string("[") + sec.name + "]\n";
    if (sec.open) {
      for (const Entry &e : entries)
        if (e.section == sec.name)
          line(e);
      continue;
    }
    for (const KeySpec &k : sec.keys)
      if (const Entry *e = find(std::string(sec.name) + "." + k.key))
        line(*e);
  }
  return out;
}

bool frond::loadRunConfig(const std::string &configPath,
                          const std::vector<std::string> &sets, RunConfig &out,
                          std::vector<ConfigError> &errs) {
  size_t firstErr = errs.size();
  out = RunConfig();
  if (!configPath.empty()) {
    out.loadFile(configPath, errs);
  } else {
    std::error_code ec;
    if (std::filesystem::exists("frond.toml", ec))
      out.loadFile("frond.toml", errs);
  }
  for (const std::string &s : sets)
    out.applySet(s, errs);
  return errs.size() == firstErr;
}
