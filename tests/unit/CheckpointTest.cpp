//===- CheckpointTest.cpp - safetensors checkpoints: round trip and damage -===//
#include "frond/lang/Sema.h"
#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/Optimizer.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace frond;
using namespace frond::runtime;
namespace fs = std::filesystem;

namespace {

ParamInfo param(const std::string &path, std::vector<long long> shape) {
  ParamInfo p;
  p.path = path;
  for (long long s : shape) {
    Dim d;
    d.size = s;
    p.shape.push_back(d);
  }
  p.component = "linear";
  return p;
}

Tensor randomTensor(std::vector<int64_t> shape, std::mt19937 &rng) {
  Tensor t = Tensor::zeros(DType::F32, std::move(shape));
  std::normal_distribution<float> n;
  for (float &x : t.f32)
    x = n(rng);
  return t;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool bitEqual(const Tensor &a, const Tensor &b) {
  if (a.dtype != b.dtype || a.shape != b.shape)
    return false;
  if (a.dtype == DType::F32)
    return a.f32.size() == b.f32.size() &&
           std::memcmp(a.f32.data(), b.f32.data(), a.f32.size() * 4) == 0;
  return a.i64 == b.i64;
}

/// A safetensors file from a header text and data bytes.
std::string rawFile(const std::string &header, const std::string &data) {
  std::string out;
  uint64_t n = header.size();
  for (int k = 0; k < 8; ++k)
    out += char((n >> (8 * k)) & 0xff);
  return out + header + data;
}

struct Fixture {
  frond::test::TempDir dir{"frond-ckpt"};
  std::vector<ParamInfo> infos = {param("layer.0.wq", {4, 6}), param("layer.0.norm", {6}),
                                  param("head", {6, 3})};
  std::map<std::string, Tensor> params;
  std::unique_ptr<Optimizer> opt;
  TrainingState state;

  Fixture() {
    std::mt19937 rng(31);
    for (auto &i : infos) {
      std::vector<int64_t> shape;
      for (auto &d : i.shape)
        shape.push_back(d.size);
      params[i.path] = randomTensor(shape, rng);
    }
    // Awkward values survive bit for bit.
    params["layer.0.norm"].f32[0] = -0.0f;
    params["layer.0.norm"].f32[1] = 1e-42f; // denormal
    params["layer.0.norm"].f32[2] = std::numeric_limits<float>::infinity();
    OptimizerConfig c;
    c.hyper.lr = 0.01;
    opt = std::make_unique<Optimizer>(c, infos);
    for (int s = 0; s < 3; ++s) {
      std::map<std::string, Tensor> g;
      for (auto &[k, v] : params)
        g[k] = randomTensor(v.shape, rng);
      g["layer.0.norm"].f32[2] = 0; // keep the gradient finite
      std::string error;
      EXPECT_TRUE(opt->step(params, g, s, error)) << error;
    }
    state.step = 3;
    state.rng = "seed=1;counter=12345";
    state.dataPosition = 96;
    state.extra["variant"] = "baseline \"quoted\"\n\\";
  }
  std::string ckpt() const { return (dir.path / "ckpt").string(); }
  bool save(std::string &error) {
    return saveCheckpoint(ckpt(), params, opt->state(), state, error);
  }
};

} // namespace

TEST(Checkpoint, RoundTripIsBitExact) {
  Fixture f;
  std::string error;
  ASSERT_TRUE(f.save(error)) << error;
  std::map<std::string, Tensor> p, o;
  TrainingState st;
  ASSERT_TRUE(loadCheckpoint(f.ckpt(), f.infos, p, o, st, error)) << error;
  ASSERT_EQ(p.size(), f.params.size());
  for (auto &[k, v] : f.params)
    EXPECT_TRUE(bitEqual(p[k], v)) << k;
  auto want = f.opt->state();
  ASSERT_EQ(o.size(), want.size());
  for (auto &[k, v] : want)
    EXPECT_TRUE(bitEqual(o[k], v)) << k;
  EXPECT_EQ(st.step, 3);
  EXPECT_EQ(st.rng, f.state.rng);
  EXPECT_EQ(st.dataPosition, 96);
  EXPECT_EQ(st.extra, f.state.extra);
  // The state loads back into an optimizer for the same parameters.
  OptimizerConfig c;
  c.hyper.lr = 0.01;
  Optimizer again(c, f.infos);
  EXPECT_TRUE(again.loadState(o, error)) << error;
  // No temporary files are left behind; saving again overwrites in place.
  ASSERT_TRUE(f.save(error)) << error;
  std::vector<std::string> names;
  for (auto &e : fs::directory_iterator(f.ckpt()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"model.safetensors", "optimizer.safetensors"}));
}

TEST(Checkpoint, SafetensorsLayout) {
  Tensor a = Tensor::zeros(DType::F32, {2});
  a.f32 = {1.5f, -2.0f};
  Tensor b = Tensor::zeros(DType::I64, {});
  b.i64 = {42};
  std::string bytes = encodeSafetensors({{"a", a}, {"b", b}}, {{"k", "v"}});
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k)
    n = (n << 8) | uint64_t(static_cast<unsigned char>(bytes[size_t(k)]));
  EXPECT_EQ((8 + n) % 8, 0u); // the data is 8-byte aligned
  std::string header = bytes.substr(8, size_t(n));
  EXPECT_EQ(header.rfind("{\"__metadata__\":{\"k\":\"v\"},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
                         0),
            0u)
      << header;
  EXPECT_EQ(bytes.size(), 8 + n + 16);
  float x;
  std::memcpy(&x, bytes.data() + 8 + n + 4, 4);
  EXPECT_EQ(x, -2.0f);

  // A file as another writer lays it out (whitespace, other key order).
  std::string data(8, '\0');
  float v[2] = {3.0f, 4.0f};
  std::memcpy(data.data(), v, 8);
  std::map<std::string, Tensor> t;
  std::map<std::string, std::string> meta;
  std::string error;
  ASSERT_TRUE(decodeSafetensors(
      rawFile("{ \"x\" : { \"data_offsets\" : [0, 8], \"shape\" : [1, 2], \"dtype\" : \"F32\" },"
              " \"__metadata__\": {\"format\": \"pt\", \"n\\u00e9\": \"\\\"\"} }   ",
              data),
      "other.safetensors", t, meta, error))
      << error;
  EXPECT_EQ(t["x"].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t["x"].f32, (std::vector<float>{3.0f, 4.0f}));
  EXPECT_EQ(meta["n\xc3\xa9"], "\"");
}

// f64 tensors (double-precision runs) round-trip as safetensors "F64".
TEST(Checkpoint, SafetensorsF64RoundTrip) {
  Tensor a = Tensor::zeros(DType::F64, {3});
  a.f64 = {1.0 / 3.0, -2.5e-300, 7.0};
  std::string bytes = encodeSafetensors({{"a", a}}, {});
  EXPECT_NE(bytes.find("\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]"),
            std::string::npos);
  std::map<std::string, Tensor> t;
  std::map<std::string, std::string> meta;
  std::string error;
  ASSERT_TRUE(decodeSafetensors(bytes, "f64.safetensors", t, meta, error)) << error;
  EXPECT_EQ(t["a"].dtype, DType::F64);
  EXPECT_EQ(t["a"].f64, a.f64);
}

TEST(Checkpoint, DamagedFilesAreClearErrors) {
  Tensor a = Tensor::zeros(DType::F32, {2, 2});
  std::string good = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                             std::string(16, '\x01'));
  struct Case {
    std::string bytes, needle;
  };
  std::string h8 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
  std::vector<Case> cases = {
      {"", "truncated: 0 bytes"},
      {std::string("\x10\x00\x00", 3), "truncated: 3 bytes"},
      {good.substr(0, 20), "truncated: the header needs"},
      {good.substr(0, good.size() - 1), "truncated: tensor 'a' ends at byte 16"},
      {good + "xx", "2 bytes after the last tensor's data"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "more than 100 MiB"},
      {rawFile("[1, 2]", ""), "not a JSON object"},
      {rawFile("{\"a\": {\"dtype\": \"F32\",", ""), "corrupt header"},
      {rawFile("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
               std::string(4, 0)),
       "dtype BF16, but Frond reads only F32, F64 and I64"},
      {rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
               std::string(8, 0)),
       "hold 8 bytes, but F32[3] needs 12"},
      {rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
               std::string(8, 0)),
       "not a non-negative integer"},
      {rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",
               std::string(8, 0)),
       "begin <= end"},
      {rawFile(h8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               std::string(12, 0)),
       "overlaps"},
      {rawFile(h8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
               std::string(16, 0)),
       "a hole in the data before tensor 'b'"},
      {rawFile(h8 + "," + h8.substr(1) + "}", std::string(8, 0)), "appears twice"},
      {rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", ""), "needs dtype, shape and data_offsets"},
      {rawFile("{\"__metadata__\":{\"k\":1}}", ""), "metadata 'k' is not a string"},
  };
  for (auto &c : cases) {
    std::map<std::string, Tensor> t;
    std::map<std::string, std::string> m;
    std::string error;
    EXPECT_FALSE(decodeSafetensors(c.bytes, "dir/model.safetensors", t, m, error)) << c.needle;
    EXPECT_EQ(error.rfind("dir/model.safetensors: ", 0), 0u) << error;
    EXPECT_NE(error.find(c.needle), std::string::npos) << error;
    EXPECT_NE(error.find("; fix: "), std::string::npos) << error;
  }
}

TEST(Checkpoint, EveryTruncationAndByteFlipIsHandled) {
  Fixture f;
  std::string bytes = encodeSafetensors(f.params, {{"format", "x"}});
  std::map<std::string, Tensor> t;
  std::map<std::string, std::string> m;
  std::string error;
  ASSERT_TRUE(decodeSafetensors(bytes, "f", t, m, error)) << error;
  for (size_t len = 0; len < bytes.size(); ++len)
    EXPECT_FALSE(decodeSafetensors(bytes.substr(0, len), "f", t, m, error)) << len;
  // Flipping any header byte either still decodes or is an error; never a crash.
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k)
    n = (n << 8) | uint64_t(static_cast<unsigned char>(bytes[size_t(k)]));
  for (size_t i = 0; i < 8 + n; ++i)
    for (unsigned char x : {0x01, 0x20, 0x80, 0xff}) {
      std::string b = bytes;
      b[i] = char(b[i] ^ x);
      error.clear();
      if (!decodeSafetensors(b, "f", t, m, error)) {
        EXPECT_FALSE(error.empty());
      }
    }
}

TEST(Checkpoint, MismatchedAndDamagedCheckpoints) {
  Fixture f;
  std::string error;
  ASSERT_TRUE(f.save(error)) << error;
  std::map<std::string, Tensor> p, o;
  TrainingState st;

  // Another model: a different shape, a missing and an extra parameter.
  auto other = f.infos;
  other[2] = param("head", {6, 4});
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), other, p, o, st, error));
  EXPECT_NE(error.find("model.safetensors: parameter 'head' is F32[6, 3], the model expects "
                       "F32[6, 4]; fix: resume with the experiment"),
            std::string::npos)
      << error;
  other = f.infos;
  other.push_back(param("layer.1.wq", {4, 6}));
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), other, p, o, st, error));
  EXPECT_NE(error.find("parameter 'layer.1.wq' is missing"), std::string::npos) << error;
  other = f.infos;
  other.pop_back();
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), other, p, o, st, error));
  EXPECT_NE(error.find("tensor 'head' is not a parameter of this model"), std::string::npos)
      << error;
  // A tied parameter absent from the file is its owner's copy.
  other = f.infos;
  other.push_back(param("sae", {6, 3}));
  other.back().tiedTo = "head";
  ASSERT_TRUE(loadCheckpoint(f.ckpt(), other, p, o, st, error)) << error;
  EXPECT_TRUE(bitEqual(p["sae"], f.params["head"]));

  // Files from two different saves (a save interrupted between the renames).
  frond::test::TempDir second("frond-ckpt2");
  ASSERT_TRUE(saveCheckpoint(second.path.string(), f.params, f.opt->state(), f.state, error));
  fs::copy_file(second.path / "optimizer.safetensors", fs::path(f.ckpt()) / "optimizer.safetensors",
                fs::copy_options::overwrite_existing);
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), f.infos, p, o, st, error));
  EXPECT_NE(error.find("come from different saves"), std::string::npos) << error;

  // Truncated on disk (a copy cut short outside Frond).
  ASSERT_TRUE(f.save(error)) << error;
  std::string model = f.ckpt() + "/model.safetensors";
  std::string bytes = readAll(model);
  writeAll(model, bytes.substr(0, bytes.size() - 10));
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), f.infos, p, o, st, error));
  EXPECT_EQ(error.rfind(model + ": truncated: tensor '", 0), 0u) << error;

  // Not a Frond checkpoint; missing files.
  ASSERT_TRUE(writeSafetensors(model, f.params, {}, error)) << error;
  EXPECT_FALSE(loadCheckpoint(f.ckpt(), f.infos, p, o, st, error));
  EXPECT_NE(error.find("not a Frond checkpoint"), std::string::npos) << error;
  EXPECT_FALSE(loadCheckpoint((f.dir.path / "nowhere").string(), f.infos, p, o, st, error));
  EXPECT_NE(error.find("nowhere/model.safetensors: cannot open"), std::string::npos) << error;

  // Writing into a missing directory is an error, not a crash.
  EXPECT_FALSE(writeSafetensors((f.dir.path / "no/such/x.safetensors").string(), f.params, {},
                                error));
  EXPECT_NE(error.find("cannot create the temporary file"), std::string::npos) << error;
  // A tensor whose buffer disagrees with its shape is refused before writing.
  std::map<std::string, Tensor> bad = {{"w", Tensor::zeros(DType::F32, {3})}};
  bad["w"].shape = {4};
  EXPECT_FALSE(writeSafetensors((f.dir.path / "bad.safetensors").string(), bad, {}, error));
  EXPECT_FALSE(fs::exists(f.dir.path / "bad.safetensors"));
}
