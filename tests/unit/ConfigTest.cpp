//===- ConfigTest.cpp - tests for RunConfig (frond.toml, --set) -----------===//
#include "frond/runtime/RunConfig.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace frond;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temp dir, removed at the end.
/// Temporary directories for spec and config files (TestUtil.h).
struct TempDir : frond::test::TempDir {
  TempDir() : frond::test::TempDir("frond-cfg") {}
};

/// Runs `body` with the current directory set to `dir`.
template <typename F> void inDir(const fs::path &dir, F body) {
  fs::path old = fs::current_path();
  fs::current_path(dir);
  body();
  fs::current_path(old);
}

std::string allErrors(const std::vector<ConfigError> &errs) {
  std::string out;
  for (const ConfigError &e : errs)
    out += e.str() + "\n";
  return out;
}

} // namespace

TEST(ConfigTest, Defaults) {
  RunConfig c;
  EXPECT_EQ(c.getString("run.device"), "cpu");
  EXPECT_EQ(c.getString("run.out_dir"), "runs");
  EXPECT_EQ(c.getInt("run.seed", -1), 0);
  EXPECT_EQ(c.getInt("run.threads", -1), 0);
  EXPECT_TRUE(c.getBool("run.progress", false));
  EXPECT_EQ(c.getString("run.cache_dir"), ""); // the user cache directory
  EXPECT_EQ(c.getString("paths.stdlib", "x"), "");
  EXPECT_EQ(c.getStringList("paths.data"), std::vector<std::string>{"."});
  EXPECT_EQ(c.getInt("generate.max_tokens"), 128);
  EXPECT_DOUBLE_EQ(c.getFloat("generate.temperature"), 1.0);
  EXPECT_EQ(c.getInt("generate.top_k", -1), 0);
  EXPECT_DOUBLE_EQ(c.getFloat("generate.top_p"), 1.0);
  // [train] has no defaults: absent means "use the spec's value".
  EXPECT_EQ(c.get("train.steps"), nullptr);
  EXPECT_EQ(c.get("train.lr"), nullptr);
  EXPECT_EQ(c.getInt("train.steps", 77), 77);
  EXPECT_EQ(c.get("run.nonsense"), nullptr);
  EXPECT_EQ(c.get("nodot"), nullptr);
  EXPECT_TRUE(c.overrides("run").empty());
  EXPECT_TRUE(c.overrides("model").empty());
  EXPECT_EQ(c.origin("run.device"), "default");
  EXPECT_EQ(c.origin("train.steps"), "");
}

TEST(ConfigTest, FileOverridesDefaults) {
  TempDir dir;
  std::string path = dir.write("my.toml", "[run]\n"
                                          "device = \"cuda\"\n"
                                          "seed = 7\n"
                                          "progress = false\n"
                                          "[train]\n"
                                          "steps = 500\n"
                                          "lr = 3e-4\n");
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.loadFile(path, errs)) << allErrors(errs);
  EXPECT_TRUE(errs.empty());
  EXPECT_EQ(c.getString("run.device"), "cuda");
  EXPECT_EQ(c.getInt("run.seed"), 7);
  EXPECT_FALSE(c.getBool("run.progress", true));
  EXPECT_EQ(c.getInt("train.steps"), 500);
  EXPECT_DOUBLE_EQ(c.getFloat("train.lr"), 3e-4);
  // Untouched keys keep their defaults.
  EXPECT_EQ(c.getString("run.out_dir"), "runs");
  EXPECT_EQ(c.origin("run.out_dir"), "default");
  EXPECT_EQ(c.origin("run.seed"), path + ":3:1");
}

TEST(ConfigTest, SetOverridesFile) {
  TempDir dir;
  std::string path = dir.write(
      "cfg.toml", "[train]\nsteps = 100\nbatch = 8\n[run]\nseed = 1\n");
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(loadRunConfig(path, {"train.steps=500", "run.seed=9"}, c, errs))
      << allErrors(errs);
  EXPECT_EQ(c.getInt("train.steps"), 500);
  EXPECT_EQ(c.getInt("train.batch"), 8);
  EXPECT_EQ(c.getInt("run.seed"), 9);
  EXPECT_EQ(c.origin("train.steps"), "--set train.steps=500");
  EXPECT_EQ(c.origin("train.batch"), path + ":3:1");
  // Later --set arguments win over earlier ones.
  ASSERT_TRUE(loadRunConfig(path, {"run.seed=2", "run.seed=3"}, c, errs));
  EXPECT_EQ(c.getInt("run.seed"), 3);
}

TEST(ConfigTest, LoadRunConfigReadsFrondTomlInCurrentDirectory) {
  TempDir dir;
  dir.write("frond.toml", "[generate]\nmax_tokens = 64\n");
  inDir(dir.path, [] {
    RunConfig c;
    std::vector<ConfigError> errs;
    ASSERT_TRUE(loadRunConfig("", {}, c, errs)) << allErrors(errs);
    EXPECT_EQ(c.getInt("generate.max_tokens"), 64);
    EXPECT_EQ(c.origin("generate.max_tokens"), "frond.toml:2:1");
  });
  // Without a frond.toml only the defaults (and --set) apply.
  TempDir empty;
  inDir(empty.path, [] {
    RunConfig c;
    std::vector<ConfigError> errs;
    ASSERT_TRUE(loadRunConfig("", {"generate.top_k=5"}, c, errs));
    EXPECT_EQ(c.getInt("generate.max_tokens"), 128);
    EXPECT_EQ(c.getInt("generate.top_k"), 5);
  });
}

TEST(ConfigTest, IntPromotedToFloat) {
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.loadString("[train]\nlr = 1\nclip = 2\n[generate]\n"
                           "temperature = 0\n",
                           "frond.toml", errs))
      << allErrors(errs);
  ASSERT_NE(c.get("train.lr"), nullptr);
  EXPECT_TRUE(std::holds_alternative<double>(*c.get("train.lr")));
  EXPECT_DOUBLE_EQ(c.getFloat("train.lr"), 1.0);
  EXPECT_DOUBLE_EQ(c.getFloat("train.clip"), 2.0);
  EXPECT_DOUBLE_EQ(c.getFloat("generate.temperature", 5), 0.0);
  ASSERT_TRUE(c.applySet("generate.top_p=1", errs));
  EXPECT_TRUE(std::holds_alternative<double>(*c.get("generate.top_p")));
}

TEST(ConfigTest, FloatRejectedWhereIntExpected) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[train]\nsteps = 2.5\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].file, "frond.toml");
  EXPECT_EQ(errs[0].line, 2u);
  EXPECT_EQ(errs[0].col, 9u);
  EXPECT_EQ(errs[0].message,
            "'train.steps' must be an integer, found a float (2.5)");
  EXPECT_EQ(errs[0].fix, "write train.steps = 500");
  EXPECT_EQ(c.get("train.steps"), nullptr);

  errs.clear();
  EXPECT_FALSE(c.loadString("[run]\nseed = 3.0\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].fix, "write run.seed = 3 (no decimal point)");
}

TEST(ConfigTest, WrongTypeMatchesDocumentedText) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(
      c.loadString("[train]\n\nsteps = \"many\"\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].str(), "frond.toml:3:9: error: 'train.steps' must be an "
                           "integer, found a string (\"many\")\n"
                           "  fix: write train.steps = 500");
  errs.clear();
  EXPECT_FALSE(c.loadString("[run]\nprogress = \"yes\"\nthreads = \"4\"\n",
                            "f.toml", errs));
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].message,
            "'run.progress' must be a boolean (true or false), found a string "
            "(\"yes\")");
  EXPECT_EQ(errs[1].fix, "write run.threads = 4 (without quotes)");
}

TEST(ConfigTest, UnknownKeyWithSuggestion) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[train]\nsteps = 5\n\n\nstepz = 500\n",
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].str(), "frond.toml:5:1: error: unknown key 'train.stepz'\n"
                           "  fix: did you mean 'train.steps'?");
  // A file with errors changes nothing.
  EXPECT_EQ(c.get("train.steps"), nullptr);

  errs.clear();
  EXPECT_FALSE(c.loadString("[generate]\ntemp = 0.5\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].fix, "did you mean 'generate.temperature'?");
}

TEST(ConfigTest, UnknownKeyListsValidKeysOrOtherSection) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(
      c.loadString("[train]\noptimizer = \"adam\"\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "unknown key 'train.optimizer'");
  EXPECT_EQ(errs[0].fix, "valid keys in [train] are: steps, batch, seq_len, "
                         "eval_every, checkpoint_every, lr, clip");

  errs.clear();
  EXPECT_FALSE(c.loadString("[run]\nmax_tokens = 5\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].fix, "did you mean 'generate.max_tokens'? it belongs in "
                         "[generate]");

  errs.clear();
  EXPECT_FALSE(c.loadString("device = \"cuda\"\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "key 'device' is not in a section");
  EXPECT_NE(errs[0].fix.find("run.device"), std::string::npos);
}

TEST(ConfigTest, UnknownSection) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[run]\nseed = 1\n[trian]\nsteps = 5\n[zzz]\n",
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 2u) << allErrors(errs);
  EXPECT_EQ(errs[0].line, 3u);
  EXPECT_EQ(errs[0].message, "unknown section [trian]");
  EXPECT_EQ(errs[0].fix, "did you mean [train]? valid sections are: [run], "
                         "[paths], [train], [generate], [model], [data]");
  EXPECT_EQ(errs[1].line, 5u);
  EXPECT_EQ(errs[1].message, "unknown section [zzz]");
  EXPECT_EQ(errs[1].fix, "valid sections are: [run], [paths], [train], "
                         "[generate], [model], [data]");

  errs.clear();
  EXPECT_FALSE(c.loadString("run = 5\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message,
            "'run' must be a section (a table), found an integer (5)");
}

TEST(ConfigTest, TomlSyntaxErrorHasLine) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[run]\nseed = 1\nout_dir = \"unterminated\n",
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].file, "frond.toml");
  EXPECT_EQ(errs[0].line, 3u);
  EXPECT_GT(errs[0].col, 0u);
  EXPECT_FALSE(errs[0].message.empty());
  std::string prefix =
      "frond.toml:3:" + std::to_string(errs[0].col) + ": error: ";
  EXPECT_EQ(errs[0].str().rfind(prefix, 0), 0u) << errs[0].str();
  EXPECT_EQ(c.getInt("run.seed", -1), 0);

  errs.clear();
  EXPECT_FALSE(c.loadString("[run]\nseed = 1\nseed = 2\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].line, 3u);
}

TEST(ConfigTest, MissingConfigFile) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadFile("/nonexistent/dir/frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message,
            "cannot open config file '/nonexistent/dir/frond.toml'");
  EXPECT_FALSE(errs[0].fix.empty());
  EXPECT_EQ(errs[0].str().rfind("error: cannot open config file", 0), 0u);

  errs.clear();
  RunConfig d;
  EXPECT_FALSE(loadRunConfig("/nonexistent/x.toml", {"run.seed=4"}, d, errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(d.getInt("run.seed"), 4); // --set is still applied and checked

  errs.clear();
  TempDir dir;
  EXPECT_FALSE(c.loadFile(dir.path.string(), errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].message.find("directory"), std::string::npos);
}

TEST(ConfigTest, BadSetForms) {
  RunConfig c;
  struct Case {
    const char *arg, *message;
  } cases[] = {
      {"train.steps", "missing '=' in --set argument"},
      {"=5", "empty key in --set argument"},
      {"  = 5", "empty key in --set argument"},
      {"steps=5", "key 'steps' has no section"},
      {"train.=5", "invalid key 'train.' in --set argument"},
      {".steps=5", "invalid key '.steps' in --set argument"},
      {"train.steps.x=5", "invalid key 'train.steps.x' in --set argument"},
      {"tr ain.steps=5", "invalid key 'tr ain.steps' in --set argument"},
      {"trian.steps=5", "unknown section [trian]"},
      {"train.stepz=5", "unknown key 'train.stepz'"},
  };
  for (const Case &k : cases) {
    std::vector<ConfigError> errs;
    EXPECT_FALSE(c.applySet(k.arg, errs)) << k.arg;
    ASSERT_EQ(errs.size(), 1u) << k.arg;
    EXPECT_EQ(errs[0].file, std::string("--set ") + k.arg);
    EXPECT_EQ(errs[0].line, 0u);
    EXPECT_EQ(errs[0].message, k.message) << k.arg;
    EXPECT_FALSE(errs[0].fix.empty()) << k.arg;
  }
  std::vector<ConfigError> errs;
  c.applySet("steps=5", errs);
  EXPECT_EQ(errs[0].str(), "--set steps=5: error: key 'steps' has no section\n"
                           "  fix: did you mean 'train.steps'? use --set "
                           "train.steps=5");
  // Nothing was changed by the bad arguments.
  EXPECT_EQ(c.get("train.steps"), nullptr);
}

TEST(ConfigTest, SetValueParsing) {
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.applySet("train.steps=500", errs));
  ASSERT_TRUE(c.applySet("train.lr=3e-4", errs));
  ASSERT_TRUE(c.applySet("run.progress=false", errs));
  ASSERT_TRUE(c.applySet("run.device=cuda", errs));         // bare string
  ASSERT_TRUE(c.applySet("run.out_dir=\"my runs\"", errs)); // quoted string
  ASSERT_TRUE(c.applySet("run.cache_dir=123", errs)); // string key: as written
  ASSERT_TRUE(c.applySet("paths.data=/mnt/data", errs)); // one-element list
  ASSERT_TRUE(c.applySet(" run.seed = 11 ", errs));
  ASSERT_TRUE(c.applySet("paths.stdlib=", errs));
  ASSERT_TRUE(errs.empty()) << allErrors(errs);
  EXPECT_EQ(std::get<int64_t>(*c.get("train.steps")), 500);
  EXPECT_DOUBLE_EQ(std::get<double>(*c.get("train.lr")), 3e-4);
  EXPECT_EQ(std::get<bool>(*c.get("run.progress")), false);
  EXPECT_EQ(c.getString("run.device"), "cuda");
  EXPECT_EQ(c.getString("run.out_dir"), "my runs");
  EXPECT_EQ(c.getString("run.cache_dir"), "123");
  EXPECT_EQ(c.getStringList("paths.data"),
            std::vector<std::string>{"/mnt/data"});
  EXPECT_EQ(c.getInt("run.seed"), 11);
  EXPECT_EQ(c.getString("paths.stdlib", "x"), "");
  ASSERT_TRUE(c.applySet("paths.data=[\"a\", \"b\"]", errs));
  EXPECT_EQ(c.getStringList("paths.data"),
            (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTest, SetTypeErrorsNameTheArgument) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.applySet("train.steps=many", errs));
  EXPECT_FALSE(c.applySet("train.batch=2.5", errs));
  EXPECT_FALSE(c.applySet("run.progress=yes", errs));
  EXPECT_FALSE(c.applySet("run.device=gpu", errs));
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0].str(),
            "--set train.steps=many: error: 'train.steps' must be an integer, "
            "found a string (\"many\")\n  fix: use --set train.steps=500");
  EXPECT_EQ(errs[1].file, "--set train.batch=2.5");
  EXPECT_EQ(errs[2].fix, "use --set run.progress=false");
  EXPECT_EQ(errs[3].message,
            "'run.device' must be \"cpu\" or \"cuda\", found \"gpu\"");
  EXPECT_EQ(c.getString("run.device"), "cpu");
}

TEST(ConfigTest, OpenModelSectionKeepsValuesAndOrder) {
  RunConfig c;
  std::vector<ConfigError> errs;
  // Deliberately not alphabetical: order must follow the file.
  ASSERT_TRUE(c.loadString("[model]\n"
                           "n_layers = 4\n"
                           "dim = 256\n"
                           "act = \"gelu\"\n"
                           "dropout = 0.1\n"
                           "bias = false\n"
                           "[data]\n"
                           "name = \"tiny\"\n",
                           "frond.toml", errs))
      << allErrors(errs);
  ASSERT_TRUE(c.applySet("model.heads=8", errs));
  ASSERT_TRUE(c.applySet("model.dim=512", errs)); // keeps its place
  auto ov = c.overrides("model");
  ASSERT_EQ(ov.size(), 6u);
  EXPECT_EQ(ov[0].key, "n_layers");
  EXPECT_EQ(std::get<int64_t>(ov[0].value), 4);
  EXPECT_EQ(ov[0].origin, "frond.toml:2:1");
  EXPECT_EQ(ov[1].key, "dim");
  EXPECT_EQ(std::get<int64_t>(ov[1].value), 512);
  EXPECT_EQ(ov[1].origin, "--set model.dim=512");
  EXPECT_EQ(std::get<std::string>(ov[2].value), "gelu");
  EXPECT_DOUBLE_EQ(std::get<double>(ov[3].value), 0.1);
  EXPECT_EQ(std::get<bool>(ov[4].value), false);
  EXPECT_EQ(ov[5].key, "heads");
  auto &[key, value, origin] = ov[5];
  EXPECT_EQ(key, "heads");
  EXPECT_EQ(std::get<int64_t>(value), 8);
  EXPECT_EQ(origin, "--set model.heads=8");
  auto data = c.overrides("data");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].key, "name");
  EXPECT_EQ(c.getString("data.name"), "tiny");
  // train.* overrides list only what was set.
  ASSERT_TRUE(c.applySet("train.batch=4", errs));
  ASSERT_EQ(c.overrides("train").size(), 1u);
  EXPECT_EQ(c.overrides("train")[0].key, "batch");
}

TEST(ConfigTest, OpenSectionRejectsNonScalars) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[model]\nsizes = [1, 2]\nattn.kind = 1\n",
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 2u) << allErrors(errs);
  EXPECT_EQ(errs[0].message, "'model.sizes' must be a single value (integer, "
                             "float, boolean or string), found an array");
  EXPECT_EQ(errs[0].line, 2u);
  EXPECT_EQ(errs[1].message, "'model.attn' must be a single value (integer, "
                             "float, boolean or string), found a table");
  errs.clear();
  EXPECT_FALSE(c.applySet("model.sizes=[1,2]", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_TRUE(c.overrides("model").empty());
}

TEST(ConfigTest, PathsDataArrayOfStrings) {
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.loadString("[paths]\ndata = [\"data\", \"/mnt/corpora\", "
                           "'C:\\raw']\nstdlib = \"/opt/frond/stdlib\"\n",
                           "frond.toml", errs))
      << allErrors(errs);
  EXPECT_EQ(c.getStringList("paths.data"),
            (std::vector<std::string>{"data", "/mnt/corpora", "C:\\raw"}));
  EXPECT_EQ(c.getString("paths.stdlib"), "/opt/frond/stdlib");
  ASSERT_TRUE(c.loadString("[paths]\ndata = []\n", "frond.toml", errs));
  EXPECT_TRUE(c.getStringList("paths.data").empty());
  EXPECT_NE(c.get("paths.data"), nullptr);
}

TEST(ConfigTest, WrongElementTypeInArray) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(
      c.loadString("[paths]\ndata = [\"a\", 3, true]\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].line, 2u);
  EXPECT_EQ(errs[0].col, 14u);
  EXPECT_EQ(errs[0].message,
            "'paths.data[1]' must be a string, found an integer (3)");
  EXPECT_EQ(errs[1].col, 17u);
  EXPECT_EQ(errs[1].message,
            "'paths.data[2]' must be a string, found a boolean (true)");
  EXPECT_EQ(c.getStringList("paths.data"), std::vector<std::string>{"."});

  errs.clear();
  EXPECT_FALSE(c.loadString("[paths]\ndata = \"a\"\n", "frond.toml", errs));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "'paths.data' must be an array of strings, found "
                             "a string (\"a\")");
  EXPECT_EQ(errs[0].fix, "write paths.data = [\"data\", \".\"]");
}

TEST(ConfigTest, SeveralErrorsReportedAtOnceInFileOrder) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[train]\n"
                            "steps = \"many\"\n" // 2: wrong type
                            "batch = 32\n"
                            "lrr = 0.1\n" // 4: unknown key
                            "[run]\n"
                            "device = \"tpu\"\n" // 6: bad value
                            "seed = 1\n"
                            "[bogus]\n" // 8: unknown section
                            "[generate]\n"
                            "top_p = 1.5\n", // 10: out of range
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 5u) << allErrors(errs);
  unsigned lines[] = {2, 4, 6, 8, 10};
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(errs[i].line, lines[i]) << allErrors(errs);
  EXPECT_EQ(errs[1].fix, "did you mean 'train.lr'?");
  // Nothing from a file with errors is applied.
  EXPECT_EQ(c.get("train.batch"), nullptr);
  EXPECT_EQ(c.getInt("run.seed"), 0);
  // Errors already in the list are kept.
  EXPECT_FALSE(c.applySet("run.threads=-1", errs));
  EXPECT_EQ(errs.size(), 6u);
}

TEST(ConfigTest, DumpRoundTripsThroughLoadString) {
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.loadString("[model]\n"
                           "zeta = 1\n"
                           "\"odd key\" = \"tab\\there \\\"quoted\\\" \\\\ "
                           "ünïcode\"\n"
                           "alpha = 0.1\n"
                           "big = 1e300\n"
                           "whole = 2.0\n"
                           "[data]\n"
                           "shuffle = true\n"
                           "[train]\n"
                           "lr = 0.0003\n"
                           "steps = 1000\n",
                           "frond.toml", errs))
      << allErrors(errs);
  ASSERT_TRUE(c.applySet("paths.data=[\"a\\\"b\", \"c\"]", errs));
  ASSERT_TRUE(c.applySet("run.out_dir=x y", errs));
  std::string text = c.dump();
  RunConfig d;
  ASSERT_TRUE(d.loadString(text, "dump.toml", errs)) << allErrors(errs) << text;
  for (const std::string &sec : RunConfig::sectionNames()) {
    auto a = c.overrides(sec);
    auto b = d.overrides(sec);
    // Defaults become explicit after a round trip; compare all values.
    for (const auto &o : a) {
      const ConfigValue *v = d.get(sec + "." + o.key);
      ASSERT_NE(v, nullptr) << sec << "." << o.key << "\n" << text;
      EXPECT_EQ(*v, o.value) << sec << "." << o.key << "\n" << text;
    }
  }
  for (const char *k :
       {"run.device", "run.out_dir", "run.seed", "run.threads", "run.progress",
        "run.cache_dir", "paths.stdlib", "paths.data", "generate.max_tokens",
        "generate.temperature", "generate.top_k", "generate.top_p"})
    EXPECT_EQ(*c.get(k), *d.get(k)) << k;
  EXPECT_EQ(d.get("train.batch"), nullptr);
  // Open-section order survives, and the dump is stable.
  auto m = d.overrides("model");
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].key, "zeta");
  EXPECT_EQ(m[1].key, "odd key");
  EXPECT_EQ(m[2].key, "alpha");
  EXPECT_TRUE(std::holds_alternative<double>(m[4].value));
  EXPECT_EQ(d.dump(), text);
  // Sections appear in schema order.
  EXPECT_LT(text.find("[run]"), text.find("[paths]"));
  EXPECT_LT(text.find("[paths]"), text.find("[train]"));
  EXPECT_LT(text.find("[train]"), text.find("[generate]"));
  EXPECT_LT(text.find("[generate]"), text.find("[model]"));
  EXPECT_LT(text.find("[model]"), text.find("[data]"));
  // With origins, the comments are still valid TOML.
  RunConfig e;
  ASSERT_TRUE(e.loadString(c.dump(true), "dump.toml", errs));
  EXPECT_NE(c.dump(true).find("# --set run.out_dir=x y"), std::string::npos);
}

TEST(ConfigTest, RangeChecks) {
  RunConfig c;
  std::vector<ConfigError> errs;
  EXPECT_FALSE(c.loadString("[run]\ndevice = \"CUDA\"\nthreads = -2\n"
                            "[train]\nbatch = 0\nlr = -1.0\n"
                            "[generate]\ntop_p = 0.0\ntop_k = -1\n",
                            "frond.toml", errs));
  ASSERT_EQ(errs.size(), 6u) << allErrors(errs);
  EXPECT_EQ(errs[0].fix, "write run.device = \"cuda\"");
  EXPECT_EQ(errs[1].message,
            "'run.threads' must be 0 (all cores) or more, found -2");
  EXPECT_EQ(errs[2].message, "'train.batch' must be 1 or more, found 0");
  EXPECT_EQ(errs[4].message, "'generate.top_p' must be in (0, 1], found 0.0");
  errs.clear();
  EXPECT_TRUE(c.loadString("[run]\ndevice = \"cuda\"\nthreads = 0\n"
                           "[generate]\ntop_p = 1\ntop_k = 0\n",
                           "frond.toml", errs))
      << allErrors(errs);
}

TEST(ConfigTest, ErrorStrFormatting) {
  ConfigError e;
  e.message = "boom";
  EXPECT_EQ(e.str(), "error: boom");
  e.file = "a.toml";
  EXPECT_EQ(e.str(), "a.toml: error: boom");
  e.line = 4;
  EXPECT_EQ(e.str(), "a.toml:4: error: boom");
  e.col = 2;
  e.fix = "do this";
  EXPECT_EQ(e.str(), "a.toml:4:2: error: boom\n  fix: do this");
}

TEST(ConfigTest, TypedGettersFallBack) {
  RunConfig c;
  std::vector<ConfigError> errs;
  ASSERT_TRUE(c.applySet("model.width=2.5", errs));
  ASSERT_TRUE(c.applySet("model.depth=3", errs));
  EXPECT_EQ(c.getInt("model.width", -1), -1);       // a float is not an int
  EXPECT_DOUBLE_EQ(c.getFloat("model.depth"), 3.0); // an int is a number
  EXPECT_EQ(c.getString("model.depth", "none"), "none");
  EXPECT_TRUE(c.getBool("model.depth", true));
  EXPECT_TRUE(c.getStringList("model.missing").empty());
  EXPECT_EQ(c.getStringList("run.device"), std::vector<std::string>{"cpu"});
}
