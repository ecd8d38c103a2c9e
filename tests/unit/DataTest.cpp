//===- DataTest.cpp - tests for the training data (runtime/Data.h) --------===//
//
// Settings as elaboration prints them, reproducible batches, disjoint
// splits, the token layouts of every synthetic task, vocabulary bounds,
// the error messages, and every shipped experiment's data setting.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Data.h"

#include "DataSetting.h" // runtime/lib: the signature table
#include "frond/lang/Loader.h"
#include "frond/lang/Sema.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

using namespace frond;
using namespace frond::runtime;
namespace fs = std::filesystem;

#ifndef FROND_SOURCE_DIR
#error "FROND_SOURCE_DIR must name the source tree (see tests/unit/CMakeLists.txt)"
#endif

namespace {

const std::string kExperiments = std::string(FROND_SOURCE_DIR) + "/experiments";

/// Creates a source, failing the test with the error when that does not work.
std::unique_ptr<DataSource> make(const std::string &setting, const std::string &dir = "") {
  std::string err;
  auto ds = DataSource::create(setting, dir, err);
  EXPECT_TRUE(ds) << setting << "\n" << err;
  EXPECT_EQ(err, "");
  return ds;
}

/// The error `setting` gives (and that it gives one).
std::string errorOf(const std::string &setting, const std::string &dir = "") {
  std::string err;
  auto ds = DataSource::create(setting, dir, err);
  EXPECT_FALSE(ds) << setting;
  return err;
}

int64_t at(const Tensor &t, int64_t b, int64_t i) { return t.i64[size_t(b * t.shape[1] + i)]; }

std::unique_ptr<DataSource> corpus() {
  return make("text(path = \"data/corpus.txt\", split = 0.9, tokenizer = \"bytes\")",
              kExperiments);
}

} // namespace

// --- settings ---------------------------------------------------------------

TEST(Data, SettingsAsElaborationPrintsThem) {
  auto text = corpus();
  ASSERT_TRUE(text);
  EXPECT_EQ(text->kind(), DataSource::Kind::Text);
  EXPECT_EQ(text->vocab(), 256);
  EXPECT_EQ(text->sequenceLength(), 0);
  EXPECT_EQ(text->path(), kExperiments + "/data/corpus.txt");
  EXPECT_NE(text->describe().find("text data/corpus.txt ("), std::string::npos)
      << text->describe();

  auto copy = make("task.copy_from_source(src_len = 5, tgt_len = 5, vocab = 97)");
  EXPECT_EQ(copy->kind(), DataSource::Kind::CopyFromSource);
  EXPECT_EQ(copy->vocab(), 97);
  EXPECT_EQ(copy->sequenceLength(), 10);
  auto recall = make("task.associative_recall(length = 32, pairs = 4, queries = 2, vocab = 64)");
  EXPECT_EQ(recall->kind(), DataSource::Kind::AssociativeRecall);
  EXPECT_EQ(recall->sequenceLength(), 32);
  auto needle = make("task.needle(depth = 0.25, length = 128, vocab = 64)");
  EXPECT_EQ(needle->kind(), DataSource::Kind::Needle);
  auto icl = make("task.icl_labels(classes = 2, demos = 8, length = 128, vocab = 64)");
  EXPECT_EQ(icl->kind(), DataSource::Kind::IclLabels);
}

TEST(Data, PositionalArgumentsAndDefaults) {
  auto text = make("  text( \"data/corpus.txt\" ) ", kExperiments);
  ASSERT_TRUE(text);
  // The default split is 0.9 of the bytes.
  EXPECT_EQ(text->splitEnd(Split::Train), int64_t(0.9 * double(text->splitEnd(Split::Validation))));
  auto needle = make("task.needle()");
  EXPECT_EQ(needle->sequenceLength(), 256);
  EXPECT_EQ(needle->vocab(), 64);
  auto copy = make("task.copy_from_source(4, 6)");
  EXPECT_EQ(copy->sequenceLength(), 10);
  EXPECT_EQ(copy->vocab(), 64);
}

// The runtime's signature table is the language's (lang/lib/Builtins.cpp).
TEST(Data, SignaturesMatchTheLanguage) {
  std::istringstream help(builtinsHelp());
  std::set<std::string> seen;
  for (std::string line; std::getline(help, line);) {
    auto open = line.find('(');
    if (open == std::string::npos || line[0] == ' ')
      continue;
    std::string name = line.substr(0, open);
    auto sig = runtime::detail::dataSignatures().find(name);
    if (sig == runtime::detail::dataSignatures().end())
      continue;
    std::string expect = name + "(";
    for (size_t i = 0; i < sig->second.size(); ++i) {
      const auto &p = sig->second[i];
      expect += (i ? ", " : "") + std::string(p.name) + (*p.dflt ? "=" + std::string(p.dflt) : "");
    }
    EXPECT_EQ(line, expect + ")");
    seen.insert(name);
  }
  EXPECT_EQ(seen.size(), runtime::detail::dataSignatures().size());
}

// Every shipped experiment and variant elaborates to a data setting that
// makes a source serving its train.seq_len (or the task's own length).
TEST(Data, EveryExperimentsDataSetting) {
  int checked = 0;
  for (auto &entry : fs::directory_iterator(kExperiments)) {
    if (entry.path().extension() != ".spec")
      continue;
    Program program;
    program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
    DiagEngine diags;
    ASSERT_TRUE(program.load(entry.path().string(), diags)) << diags.render();
    auto base = resolveExperiment(program, "", "", diags);
    ASSERT_TRUE(base) << diags.render();
    std::vector<std::string> variants = {""};
    for (auto &v : base->variants)
      variants.push_back(v.substr(0, v.find(' ')));
    for (const std::string &variant : variants) {
      auto e = resolveExperiment(program, "", variant, diags);
      ASSERT_TRUE(e) << entry.path() << " " << variant << "\n" << diags.render();
      std::string data, seqLen;
      for (auto &[k, v] : e->settings) {
        if (k == "data")
          data = v;
        if (k == "train.seq_len")
          seqLen = v;
      }
      SCOPED_TRACE(entry.path().string() + " variant '" + variant + "': " + data);
      auto ds = make(data, kExperiments);
      ASSERT_TRUE(ds);
      int64_t T = ds->kind() == DataSource::Kind::Text ? 64 : 0;
      if (!seqLen.empty())
        T = std::stoll(seqLen);
      EXPECT_EQ(ds->check(Split::Train, 2, T), "");
      Batch b = ds->batchAt(Split::Validation, 0, 2, T, 1);
      EXPECT_TRUE(b.ok()) << b.error;
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

// --- reproducibility ----------------------------------------------------------

TEST(Data, BatchesAreAFunctionOfSeedAndStep) {
  for (const char *setting :
       {"text(\"data/corpus.txt\")", "task.associative_recall()", "task.copy_from_source()",
        "task.needle()", "task.icl_labels()"}) {
    SCOPED_TRACE(setting);
    auto ds = make(setting, kExperiments);
    ASSERT_TRUE(ds);
    int64_t T = ds->sequenceLength() ? 0 : 96;
    Batch a = ds->batchAt(Split::Train, 7, 4, T, 3);
    Batch again = ds->batchAt(Split::Train, 7, 4, T, 3);
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.inputs.at("tokens").i64, again.inputs.at("tokens").i64);
    EXPECT_EQ(a.labels.i64, again.labels.i64);
    EXPECT_NE(a.inputs.at("tokens").i64, ds->batchAt(Split::Train, 8, 4, T, 3).inputs.at("tokens").i64);
    EXPECT_NE(a.inputs.at("tokens").i64, ds->batchAt(Split::Train, 7, 4, T, 4).inputs.at("tokens").i64);
    EXPECT_NE(a.inputs.at("tokens").i64,
              ds->batchAt(Split::Validation, 7, 4, T, 3).inputs.at("tokens").i64);
    // Samples within a batch differ.
    const Tensor &tok = a.inputs.at("tokens");
    int64_t n = tok.shape[1];
    EXPECT_FALSE(std::equal(tok.i64.begin(), tok.i64.begin() + n, tok.i64.begin() + n));
  }
}

TEST(Data, NextFollowsTheCursorAndResumes) {
  auto ds = make("task.copy_from_source(src_len = 5, tgt_len = 5, vocab = 97)");
  ds->setSeed(11);
  std::vector<std::vector<int64_t>> run;
  for (int i = 0; i < 5; ++i)
    run.push_back(ds->next(Split::Train, 8, 0).inputs.at("tokens").i64);
  EXPECT_EQ(ds->step(Split::Train), 5);
  EXPECT_EQ(ds->step(Split::Validation), 0);
  EXPECT_EQ(run[2], ds->batchAt(Split::Train, 2, 8, 0, 11).inputs.at("tokens").i64);

  // A fresh source resumed at step 3 sees what the uninterrupted run saw.
  auto resumed = make("task.copy_from_source(src_len = 5, tgt_len = 5, vocab = 97)");
  resumed->setSeed(11);
  resumed->seek(Split::Train, 3);
  EXPECT_EQ(resumed->next(Split::Train, 8, 0).inputs.at("tokens").i64, run[3]);
  EXPECT_EQ(resumed->next(Split::Train, 8, 0).inputs.at("tokens").i64, run[4]);
}

// --- text ---------------------------------------------------------------------

TEST(Data, TextWindowsStayInsideTheirSplit) {
  auto ds = corpus();
  ASSERT_TRUE(ds);
  std::ifstream in(ds->path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int64_t cut = ds->splitEnd(Split::Train);
  EXPECT_EQ(ds->splitBegin(Split::Train), 0);
  EXPECT_EQ(ds->splitBegin(Split::Validation), cut);
  EXPECT_EQ(ds->splitEnd(Split::Validation), int64_t(bytes.size()));
  EXPECT_EQ(cut, int64_t(std::floor(0.9 * double(bytes.size()))));
  std::string train = bytes.substr(0, size_t(cut)), val = bytes.substr(size_t(cut));
  const int64_t T = 256;
  for (int64_t step = 0; step < 40; ++step)
    for (Split s : {Split::Train, Split::Validation}) {
      Batch b = ds->batchAt(s, step, 4, T, 5);
      ASSERT_TRUE(b.ok()) << b.error;
      const Tensor &tok = b.inputs.at("tokens");
      ASSERT_EQ(tok.shape, (std::vector<int64_t>{4, T}));
      EXPECT_EQ(b.labels.i64, tok.i64);
      for (int64_t r = 0; r < 4; ++r) {
        std::string w;
        for (int64_t t = 0; t < T; ++t)
          w += char(at(tok, r, t));
        EXPECT_NE((s == Split::Train ? train : val).find(w), std::string::npos)
            << splitName(s) << " window of step " << step << " is not inside its split";
      }
    }
}

TEST(Data, TextSplitBoundaryOnASmallFile) {
  test::TempDir dir("frond-data");
  // Train bytes are upper case, validation bytes lower case.
  std::string text(90, 'A');
  text += std::string(10, 'z');
  dir.write("t.txt", text);
  auto ds = make("text(path = \"t.txt\", split = 0.9)", dir.path.string());
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->splitEnd(Split::Train), 90);
  for (int64_t step = 0; step < 50; ++step) {
    Batch val = ds->batchAt(Split::Validation, step, 2, 10, 1);
    Batch train = ds->batchAt(Split::Train, step, 2, 10, 1);
    for (int64_t t : val.inputs.at("tokens").i64)
      EXPECT_EQ(t, 'z');
    for (int64_t t : train.inputs.at("tokens").i64)
      EXPECT_EQ(t, 'A');
  }
  // The whole validation split is one window; one more byte is too many.
  EXPECT_EQ(ds->check(Split::Validation, 1, 10), "");
  EXPECT_NE(ds->check(Split::Validation, 1, 11).find(
                "the validation split of t.txt has 10 bytes, fewer than the sequence length 11"),
            std::string::npos);
  EXPECT_FALSE(ds->batchAt(Split::Validation, 0, 1, 11, 1).ok());
  // Windows start at seeded random offsets, not always the same one.
  std::set<int64_t> firsts;
  dir.write("u.txt", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
  auto u = make("text(\"u.txt\", split = 0.5)", dir.path.string());
  for (int64_t step = 0; step < 50; ++step)
    firsts.insert(u->batchAt(Split::Train, step, 1, 4, 1).inputs.at("tokens").i64[0]);
  EXPECT_GT(firsts.size(), 10u);
}

TEST(Data, UnigramEntropy) {
  test::TempDir dir("frond-data");
  dir.write("ab.txt", "abababababababababab");
  auto ab = make("text(\"ab.txt\", split = 0.5)", dir.path.string());
  UnigramEntropy h = ab->unigramEntropy();
  EXPECT_EQ(h.tokens, 10);
  EXPECT_NEAR(h.bits, 1.0, 1e-12);
  EXPECT_NEAR(h.nats, std::log(2.0), 1e-12);

  // English text: about 4.3 bits per byte, far below ln 256.
  UnigramEntropy kjv = corpus()->unigramEntropy();
  EXPECT_GT(kjv.bits, 3.5);
  EXPECT_LT(kjv.bits, 5.0);
  EXPECT_NEAR(kjv.nats, kjv.bits * std::log(2.0), 1e-9);

  UnigramEntropy task = make("task.copy_from_source(src_len = 5, tgt_len = 5, vocab = 97)")
                            ->unigramEntropy();
  EXPECT_EQ(task.tokens, 256 * 10);
  EXPECT_GT(task.bits, 6.0); // uniform over 96 ids: 6.58 bits
  EXPECT_LT(task.bits, std::log2(96.0) + 1e-9);
}

// --- synthetic tasks ------------------------------------------------------------

TEST(Data, AssociativeRecallAnswersFollowTheirKeys) {
  const int64_t P = 8, Q = 4, V = 64, L = 64;
  auto ds = make("task.associative_recall(pairs = 8, queries = 4, vocab = 64, length = 64)");
  for (int64_t step = 0; step < 20; ++step) {
    Batch b = ds->batchAt(Split::Train, step, 8, 0, 1);
    ASSERT_TRUE(b.ok()) << b.error;
    const Tensor &tok = b.inputs.at("tokens");
    ASSERT_EQ(tok.shape, (std::vector<int64_t>{8, L}));
    EXPECT_EQ(b.inputs.count("src_len"), 0u);
    for (int64_t r = 0; r < 8; ++r) {
      std::map<int64_t, int64_t> pairs;
      for (int64_t i = 0; i < P; ++i) {
        int64_t k = at(tok, r, 2 * i), v = at(tok, r, 2 * i + 1);
        EXPECT_TRUE(k >= 1 && k < V / 2) << k;
        EXPECT_TRUE(v >= V / 2 && v < V) << v;
        EXPECT_TRUE(pairs.emplace(k, v).second) << "repeated key " << k;
      }
      int64_t answers = 0;
      std::set<int64_t> asked;
      for (int64_t t = 0; t < L; ++t) {
        int64_t lab = at(b.labels, r, t);
        if (lab == kIgnoreLabel)
          continue;
        ++answers;
        ASSERT_GE(t, 2 * P + 1);
        int64_t key = at(tok, r, t - 1);
        ASSERT_TRUE(pairs.count(key)) << "the token before an answer is not a key";
        EXPECT_EQ(lab, pairs[key]);
        EXPECT_EQ(at(tok, r, t), pairs[key]);
        asked.insert(key);
      }
      EXPECT_EQ(answers, Q);
      EXPECT_EQ(asked.size(), size_t(Q));
      // Outside the pairs and queries the query region is blank.
      int64_t blanks = 0;
      for (int64_t t = 2 * P; t < L; ++t)
        blanks += at(tok, r, t) == 0;
      EXPECT_EQ(blanks, L - 2 * P - 2 * Q);
    }
  }
}

TEST(Data, CopyTargetEqualsSource) {
  auto ds = make("task.copy_from_source(src_len = 5, tgt_len = 7, vocab = 97)");
  Batch b = ds->batchAt(Split::Validation, 3, 16, 0, 2);
  ASSERT_TRUE(b.ok()) << b.error;
  const Tensor &tok = b.inputs.at("tokens"), &src = b.inputs.at("src_len");
  ASSERT_EQ(tok.shape, (std::vector<int64_t>{16, 12}));
  ASSERT_EQ(src.shape, (std::vector<int64_t>{16}));
  for (int64_t r = 0; r < 16; ++r) {
    EXPECT_EQ(src.i64[size_t(r)], 5);
    for (int64_t t = 0; t < 5; ++t) {
      EXPECT_TRUE(at(tok, r, t) >= 1 && at(tok, r, t) < 97);
      EXPECT_EQ(at(b.labels, r, t), kIgnoreLabel); // the prompt is not scored
    }
    for (int64_t t = 5; t < 12; ++t) {
      EXPECT_EQ(at(tok, r, t), at(tok, r, (t - 5) % 5));
      EXPECT_EQ(at(b.labels, r, t), at(tok, r, t));
    }
  }
}

TEST(Data, NeedleIsQueriedAtTheEnd) {
  for (double depth : {0.0, 0.5, 1.0}) {
    std::string setting = "task.needle(length = 100, depth = " + std::to_string(depth) + ", vocab = 64)";
    SCOPED_TRACE(setting);
    auto ds = make(setting);
    Batch b = ds->batchAt(Split::Train, 0, 8, 0, 1);
    ASSERT_TRUE(b.ok()) << b.error;
    const Tensor &tok = b.inputs.at("tokens");
    int64_t where = std::lround(depth * 94);
    for (int64_t r = 0; r < 8; ++r) {
      std::vector<int64_t> markers;
      for (int64_t t = 0; t < 100; ++t) {
        if (at(tok, r, t) == 1)
          markers.push_back(t);
        EXPECT_TRUE(at(tok, r, t) >= 1 && at(tok, r, t) < 64);
        EXPECT_EQ(at(b.labels, r, t), t == 99 ? at(tok, r, 99) : kIgnoreLabel);
      }
      ASSERT_EQ(markers, (std::vector<int64_t>{where, 97}));
      EXPECT_EQ(at(tok, r, 98), at(tok, r, where + 1)); // the key
      EXPECT_EQ(at(tok, r, 99), at(tok, r, where + 2)); // the answer is the value
    }
  }
}

TEST(Data, IclQueryFollowsTheDemonstratedRule) {
  const int64_t N = 8, C = 3, V = 20;
  auto ds = make("task.icl_labels(demos = 8, classes = 3, vocab = 20, length = 40)");
  Batch b = ds->batchAt(Split::Train, 0, 32, 0, 1);
  ASSERT_TRUE(b.ok()) << b.error;
  const Tensor &tok = b.inputs.at("tokens");
  for (int64_t r = 0; r < 32; ++r) {
    std::map<int64_t, int64_t> rule;
    for (int64_t i = 0; i <= N; ++i) {
      int64_t x = at(tok, r, 3 * i), y = at(tok, r, 3 * i + 2);
      EXPECT_TRUE(x >= 2 + C && x < V);
      EXPECT_EQ(at(tok, r, 3 * i + 1), 1);
      EXPECT_TRUE(y >= 2 && y < 2 + C);
      if (i == N) {
        EXPECT_TRUE(rule.count(x)) << "the query's feature was not demonstrated";
      }
      auto it = rule.emplace(x, y).first;
      EXPECT_EQ(it->second, y) << "one feature, two classes";
    }
    for (int64_t t = 0; t < 40; ++t) {
      EXPECT_EQ(at(b.labels, r, t), t == 3 * N + 2 ? at(tok, r, t) : kIgnoreLabel);
      if (t >= 3 * N + 3) {
        EXPECT_EQ(at(tok, r, t), 0);
      }
    }
  }
}

TEST(Data, TasksArePaddedToTheSequenceLength) {
  auto ds = make("task.copy_from_source(src_len = 5, tgt_len = 5, vocab = 97)");
  Batch natural = ds->batchAt(Split::Train, 1, 4, 0, 1);
  Batch padded = ds->batchAt(Split::Train, 1, 4, 16, 1);
  ASSERT_TRUE(padded.ok()) << padded.error;
  EXPECT_EQ(padded.inputs.at("tokens").shape, (std::vector<int64_t>{4, 16}));
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t t = 0; t < 16; ++t) {
      EXPECT_EQ(at(padded.inputs.at("tokens"), r, t),
                t < 10 ? at(natural.inputs.at("tokens"), r, t) : 0);
      EXPECT_EQ(at(padded.labels, r, t), t < 10 ? at(natural.labels, r, t) : kIgnoreLabel);
    }
  Batch tooShort = ds->batchAt(Split::Train, 1, 4, 8, 1);
  EXPECT_FALSE(tooShort.ok());
  EXPECT_NE(tooShort.error.find("the task's samples have 10 tokens, more than the sequence "
                                "length 8\n  fix: set train.seq_len = 10"),
            std::string::npos)
      << tooShort.error;
  EXPECT_TRUE(tooShort.inputs.empty());
}

TEST(Data, TokensStayInsideTheVocabulary) {
  for (const char *setting :
       {"task.associative_recall(pairs = 3, queries = 3, vocab = 8, length = 12)",
        "task.associative_recall(pairs = 8, queries = 4, vocab = 50, length = 64)",
        "task.copy_from_source(src_len = 3, tgt_len = 9, vocab = 2)",
        "task.needle(length = 6, depth = 0.3, vocab = 3)",
        "task.icl_labels(demos = 4, classes = 2, vocab = 5, length = 15)"}) {
    SCOPED_TRACE(setting);
    auto ds = make(setting);
    ASSERT_TRUE(ds);
    for (int64_t step = 0; step < 50; ++step)
      for (Split s : {Split::Train, Split::Validation}) {
        Batch b = ds->batchAt(s, step, 4, 0, 9);
        ASSERT_TRUE(b.ok()) << b.error;
        for (int64_t t : b.inputs.at("tokens").i64)
          ASSERT_TRUE(t >= 0 && t < ds->vocab()) << t;
        for (int64_t t : b.labels.i64)
          ASSERT_TRUE(t == kIgnoreLabel || (t >= 0 && t < ds->vocab())) << t;
      }
  }
  auto text = corpus();
  Batch b = text->batchAt(Split::Train, 0, 8, 512, 1);
  for (int64_t t : b.inputs.at("tokens").i64)
    ASSERT_TRUE(t >= 0 && t < 256);
  EXPECT_EQ(text->checkVocab(256), "");
  EXPECT_NE(text->checkVocab(97).find("fix: give the model vocab = 256"), std::string::npos);
  auto copy = make("task.copy_from_source(vocab = 97)");
  EXPECT_EQ(copy->checkVocab(97), "");
  EXPECT_NE(copy->checkVocab(64).find("token ids go up to 96 but the model's vocabulary has 64 "
                                      "entries\n  fix: write vocab = 64 in the task"),
            std::string::npos);
}

// --- errors -----------------------------------------------------------------------

TEST(Data, BadSettingsSayWhatToFix) {
  struct Case {
    const char *setting, *expect;
  };
  const Case cases[] = {
      {"", "the experiment has no data setting\n  fix: add data = text(\"data/corpus.txt\")"},
      {"corpus.txt", "data = corpus.txt: expected '(' after 'corpus.txt' at the end"},
      {"text(\"a.txt\"", "data = text(\"a.txt\": expected ',' or ')' at the end"},
      {"text(\"a.txt)", "the string starting at column 6 is not closed"},
      {"text(path = )", "expected a value at column 13"},
      {"task.needle(length = 256) extra", "unexpected text after the call at column 27"},
      {"task.sort(n = 4)", "'task.sort' is not a data source\n  fix: use one of task.associative_recall, "
                           "task.copy_from_source, task.icl_labels, task.needle, text"},
      {"text()", "data = text(): text needs the argument 'path'\n  fix: write text(path = ...)"},
      {"text(path = 3)", "path must be a string, found an integer (3)"},
      {"task.needle(len = 64)", "task.needle has no argument 'len'\n  fix: its arguments are length, depth, vocab"},
      {"task.needle(length = 64, length = 32)", "the argument 'length' is given twice"},
      {"task.needle(64, 0.5, 64, 1)", "task.needle takes at most 3 arguments (length, depth, vocab)"},
      {"task.needle(length = 64, 0.5)", "a positional argument follows a named one"},
      {"task.needle(depth = 1.5)",
       "data = task.needle(depth = 1.5): depth must be in [0, 1], found 1.5\n  fix: write depth = 0.5"},
      {"task.needle(length = 4)", "length must be at least 6"},
      {"task.needle(vocab = 64.0)", "vocab must be an integer, found a number (64.0)"},
      {"task.needle(depth = \"deep\")", "depth must be a number, found a string (\"deep\")"},
      {"task.needle(length = 0x40)", "write the number 0x40 in decimal"},
      {"task.needle(length = 99999999999999999999)", "the integer 99999999999999999999 is too large"},
      {"task.needle(length = 1000000000)", "length = 1000000000 is too large for a synthetic task"},
      {"task.associative_recall(pairs = 4, queries = 5)", "queries = 5 exceeds pairs = 4"},
      {"task.associative_recall(pairs = 40, vocab = 64, length = 256)",
       "vocab = 64 has 31 key ids ([1, vocab/2)), fewer than pairs = 40\n  fix: write vocab = 82 or more"},
      {"task.associative_recall(pairs = 8, queries = 4, length = 20)",
       "length = 20 cannot hold 8 pairs and 4 queries (2 * pairs + 2 * queries = 24 tokens)\n  fix: write "
       "length = 24 or more"},
      {"task.associative_recall(pairs = 0)", "pairs and queries must be at least 1"},
      {"task.copy_from_source(src_len = 0)", "src_len and tgt_len must be at least 1"},
      {"task.copy_from_source(vocab = 1)", "vocab must be at least 2 (0 is the pad), found 1"},
      {"task.icl_labels(demos = 32, length = 64)",
       "length = 64 cannot hold 32 demos and the query (3 * demos + 3 = 99 tokens)\n  fix: write length = 99 "
       "or more, or demos = 20"},
      {"task.icl_labels(classes = 1)", "classes must be at least 2, found 1"},
      {"task.icl_labels(classes = 4, vocab = 6)", "vocab = 6 leaves no feature ids"},
      {"text(\"data/corpus.txt\", tokenizer = \"bpe\")",
       "tokenizer \"bpe\" is not supported\n  fix: write tokenizer = \"bytes\""},
      {"text(\"data/corpus.txt\", split = 1.0)", "split must be between 0 and 1 (the training fraction), found 1.0"},
      {"text(\"data/corpus.txt\", split = 0)", "split must be between 0 and 1"},
  };
  for (const Case &c : cases) {
    std::string err = errorOf(c.setting, kExperiments);
    EXPECT_NE(err.find(c.expect), std::string::npos)
        << "setting: " << c.setting << "\nerror:   " << err << "\nwanted:  " << c.expect;
    if (*c.setting) {
      EXPECT_EQ(err.rfind("data = " + std::string(c.setting) + ": ", 0), 0u) << err;
    }
  }
}

TEST(Data, MissingAndEmptyFiles) {
  test::TempDir dir("frond-data");
  std::string err = errorOf("text(\"nope.txt\")", dir.path.string());
  std::string full = (dir.path / "nope.txt").string();
  EXPECT_EQ(err, "data = text(\"nope.txt\"): the data file '" + full +
                     "' does not exist\n  fix: check the path; text(...) paths are relative to "
                     "the spec's folder (" + dir.path.string() + ")");
  fs::create_directory(dir.path / "sub");
  EXPECT_NE(errorOf("text(\"sub\")", dir.path.string()).find("is not a regular file"),
            std::string::npos);
  dir.write("empty.txt", "");
  EXPECT_NE(errorOf("text(\"empty.txt\")", dir.path.string())
                .find("the file empty.txt has 0 bytes; a training and a validation split need "
                      "at least 2"),
            std::string::npos);
  // An absolute path ignores the spec's folder.
  std::string abs = dir.write("abs.txt", "some text here");
  EXPECT_TRUE(make("text(\"" + abs + "\")", "/nonexistent"));
}

TEST(Data, BadBatchRequests) {
  auto ds = make("task.needle(length = 64)");
  EXPECT_NE(ds->check(Split::Train, 0, 64).find("the batch size must be at least 1, found 0"),
            std::string::npos);
  EXPECT_NE(ds->check(Split::Train, 1, -1).find("the sequence length must be"), std::string::npos);
  EXPECT_FALSE(ds->batchAt(Split::Train, -1, 1, 64, 1).ok());
  EXPECT_NE(ds->check(Split::Train, int64_t(1) << 40, 64).find("too large"), std::string::npos);
  auto text = corpus();
  EXPECT_NE(text->check(Split::Train, 1, 0).find("at least 1, found 0"), std::string::npos);
  // A failed next() does not move the cursor.
  EXPECT_FALSE(ds->next(Split::Train, 0, 64).ok());
  EXPECT_EQ(ds->step(Split::Train), 0);
}
