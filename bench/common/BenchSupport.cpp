//===- BenchSupport.cpp - what the CPU benchmarks share -------------------===//
#include "BenchSupport.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

using namespace frond;
using namespace frond::bench;
using runtime::DType;
using runtime::Tensor;

double frond::bench::msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

Stats frond::bench::stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front()};
}

static std::string setting(const ExperimentInstance &e, const std::string &key) {
  for (auto &[k, v] : e.settings)
    if (k == key)
      return v;
  return "";
}

/// The bytes of a text(...) data setting (path relative to the spec), or "".
static std::string textData(const ExperimentInstance &e, const std::string &spec) {
  std::string data = setting(e, "data");
  size_t p = data.rfind("text(", 0) == 0 ? data.find("path = \"") : std::string::npos;
  if (p == std::string::npos)
    return "";
  p += 8;
  std::string path = data.substr(p, data.find('"', p) - p);
  if (path[0] != '/') {
    size_t slash = spec.rfind('/');
    path = (slash == std::string::npos ? "." : spec.substr(0, slash)) + "/" + path;
  }
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<ExperimentInstance> frond::bench::loadExperiment(const Options &o,
                                                               graph::Graph &graph) {
  DiagEngine diags;
  Program program;
  program.load(o.spec, diags);
  std::optional<ExperimentInstance> inst;
  if (!diags.hasErrors())
    inst = resolveExperiment(program, "", "", diags, o.overrides, &graph);
  if (!inst || diags.hasErrors()) {
    std::fputs(diags.render().c_str(), stderr);
    return std::nullopt;
  }
  return inst;
}

bool frond::bench::makeInputs(const Options &o, const ExperimentInstance &e,
                              std::map<std::string, Tensor> &inputs) {
  long long vocab = 256;
  for (auto &[k, v] : e.model.args)
    if (k == "vocab" && v.kind == Value::Int)
      vocab = v.i;
  std::string bytes = textData(e, o.spec);
  std::mt19937_64 rng(uint64_t(o.seed) * 0x9E3779B97F4A7C15ull + 0x5EED);
  for (const InputInfo &in : e.model.inputs) {
    if (in.type == "float" || in.shape.size() != 2) {
      std::fprintf(stderr, "bench: input '%s' is not a [b, t] token tensor\n", in.name.c_str());
      return false;
    }
    Tensor t = Tensor::zeros(DType::I64, {o.batch, o.seqLen});
    for (int64_t i = 0; i < t.numel(); ++i)
      t.i64[size_t(i)] = bytes.empty() ? int64_t(rng() % uint64_t(vocab))
                                       : int64_t((unsigned char)bytes[size_t(i) % bytes.size()]) % vocab;
    inputs[in.name] = std::move(t);
  }
  return true;
}

at::Tensor frond::bench::toAten(const Tensor &t) {
  if (t.dtype == DType::F32)
    return at::from_blob(const_cast<float *>(t.f32.data()), t.shape, at::kFloat).clone();
  return at::from_blob(const_cast<int64_t *>(t.i64.data()), t.shape, at::kLong).clone();
}

/// Which BLAS / oneDNN libraries are mapped into this process.
static std::string loadedMathLibs() {
  std::ifstream maps("/proc/self/maps");
  std::string line, out;
  std::set<std::string> seen;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos)
      continue;
    std::string path = line.substr(slash);
    if ((path.find("blas") != std::string::npos || path.find("dnnl") != std::string::npos ||
         path.find("mkl") != std::string::npos || path.find("lapack") != std::string::npos) &&
        seen.insert(path).second)
      out += "    " + path + "\n";
  }
  return out;
}

void frond::bench::printEnvironment() {
  std::printf("threads: libtorch at::get_num_threads() = %d, interop %d; frond: 1 "
              "(generated code is single-threaded); hardware_concurrency %u\n",
              at::get_num_threads(), at::get_num_interop_threads(),
              std::thread::hardware_concurrency());
  std::printf("libtorch math libraries mapped:\n%s", loadedMathLibs().c_str());
}

void frond::bench::timeInterleaved(const Options &o, const char *unit,
                                   const std::function<void()> &frond,
                                   const std::function<void()> &torch) {
  std::vector<double> frondMs, torchMs;
  for (long long i = 0; i < o.warmup + o.iters; ++i) {
    auto t = Clock::now();
    frond();
    double f = msSince(t);
    t = Clock::now();
    torch();
    double r = msSince(t);
    if (i >= o.warmup)
      frondMs.push_back(f), torchMs.push_back(r);
  }
  Stats f = stats(frondMs), r = stats(torchMs);
  std::printf("frond    %s: median %9.1f ms  min %9.1f ms\n", unit, f.median, f.min);
  std::printf("libtorch %s: median %9.1f ms  min %9.1f ms\n", unit, r.median, r.min);
  std::printf("ratio libtorch/frond (median): %.3f  (%s)\n", r.median / f.median,
              r.median > f.median ? "Frond faster" : "libtorch faster");
}

static int usage(const char *name, const char *msg, const Options &o) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s [--set K=V]... [--batch N] [--seq-len T] "
               "[--iters N] [--warmup N] [--seed S]%s [SPEC]\n",
               name, msg, name, o.extraUsage.c_str());
  return 2;
}

int frond::bench::parseArgs(int argc, char **argv, const char *name, const char *what,
                            Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string &v) {
      size_t eq = a.find('=');
      if (a.rfind("--", 0) == 0 && eq != std::string::npos && a.rfind("--set", 0) != 0) {
        v = a.substr(eq + 1);
        return true;
      }
      if (i + 1 >= argc)
        return false;
      v = argv[++i];
      return true;
    };
    auto flag = a.substr(0, a.find('='));
    std::string v;
    if (flag == "--set") {
      if (a.rfind("--set=", 0) == 0)
        v = a.substr(6);
      else if (!next(v))
        return usage(name, "--set needs KEY=VALUE", o);
      size_t eq = v.find('=');
      if (eq == std::string::npos)
        return usage(name, "--set needs KEY=VALUE", o);
      std::string key = v.substr(0, eq), val = v.substr(eq + 1);
      if (key.find('.') == std::string::npos)
        key = "model." + key;
      char *end = nullptr;
      long long n = std::strtoll(val.c_str(), &end, 10);
      Value value = *end ? Value::ofStr(val) : Value::ofInt(n);
      if (*end) {
        double d = std::strtod(val.c_str(), &end);
        if (!*end)
          value = Value::ofFloat(d);
        else if (val == "true" || val == "false")
          value = Value::ofBool(val == "true");
      }
      o.overrides.push_back({key, value, "--set " + v});
    } else if (flag == "--batch" || flag == "--seq-len" || flag == "--iters" ||
               flag == "--warmup" || flag == "--seed" || o.extraInts.count(flag)) {
      if (!next(v))
        return usage(name, (flag + " needs a number").c_str(), o);
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0)
        return usage(name, (flag + " needs a non-negative integer").c_str(), o);
      if (auto extra = o.extraInts.find(flag); extra != o.extraInts.end())
        extra->second(n);
      else
        (flag == "--batch" ? o.batch : flag == "--seq-len" ? o.seqLen
                                     : flag == "--iters"   ? o.iters
                                     : flag == "--warmup"  ? o.warmup
                                                           : o.seed) = n;
    } else if (a == "-h" || a == "--help") {
      usage(name, what, o);
      return 0;
    } else if (a[0] == '-') {
      return usage(name, ("unknown option '" + a + "'").c_str(), o);
    } else {
      o.spec = a;
    }
  }
  if (o.batch < 1 || o.seqLen < 2 || o.iters < 1)
    return usage(name, "needs --batch >= 1, --seq-len >= 2, --iters >= 1", o);
  return -1;
}
