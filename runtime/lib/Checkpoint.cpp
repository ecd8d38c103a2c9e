//===- Checkpoint.cpp - a checkpoint directory: parameters + optimizer ---===//
#include "frond/runtime/Checkpoint.h"
#include "frond/lang/Sema.h"

#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <sys/stat.h>

using namespace frond;
using namespace frond::runtime;

namespace {

const char *kFormat = "frond-checkpoint-1";

bool makeDirs(const std::string &dir, std::string &error) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
        error = dir + ": cannot create the checkpoint directory: " + std::strerror(errno) +
                "; fix: choose a writable run.out_dir";
        return false;
      }
    }
    if (i < dir.size())
      cur += dir[i];
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = dir + ": not a directory; fix: choose another checkpoint path";
    return false;
  }
  return true;
}

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 19)
    return false;
  size_t k = s[0] == '-' ? 1 : 0;
  if (k == s.size())
    return false;
  int64_t v = 0;
  for (; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9')
      return false;
    v = v * 10 + (s[k] - '0');
  }
  out = s[0] == '-' ? -v : v;
  return true;
}

} // namespace

bool frond::runtime::saveCheckpoint(const std::string &dir,
                                    const std::map<std::string, Tensor> &params,
                                    const std::map<std::string, Tensor> &optimizerState,
                                    const TrainingState &state, std::string &error) {
  if (!makeDirs(dir, error))
    return false;
  std::random_device rd;
  char id[40];
  std::snprintf(id, sizeof id, "%08x%08x-%lld", unsigned(rd()), unsigned(rd()),
                static_cast<long long>(state.step));
  std::map<std::string, std::string> common = {
      {"format", kFormat}, {"checkpoint_id", id}, {"step", std::to_string(state.step)}};
  std::map<std::string, std::string> optMeta = common;
  optMeta["rng"] = state.rng;
  optMeta["data_position"] = std::to_string(state.dataPosition);
  for (auto &[k, v] : state.extra)
    optMeta["x." + k] = v;
  // The optimizer first: a crash in between leaves an old model file whose
  // id differs, which loadCheckpoint refuses.
  return writeSafetensors(dir + "/optimizer.safetensors", optimizerState, optMeta, error) &&
         writeSafetensors(dir + "/model.safetensors", params, common, error);
}

bool frond::runtime::loadCheckpoint(const std::string &dir, const std::vector<ParamInfo> &expected,
                                    std::map<std::string, Tensor> &params,
                                    std::map<std::string, Tensor> &optimizerState,
                                    TrainingState &state, std::string &error) {
  std::string modelPath = dir + "/model.safetensors", optPath = dir + "/optimizer.safetensors";
  std::map<std::string, Tensor> p, o;
  std::map<std::string, std::string> pm, om;
  if (!readSafetensors(modelPath, p, pm, error) || !readSafetensors(optPath, o, om, error))
    return false;
  const std::string mismatchFix =
      "; fix: resume with the experiment, variant and model overrides that wrote this "
      "checkpoint, or start a fresh run";
  for (auto *m : {&pm, &om}) {
    const std::string &path = m == &pm ? modelPath : optPath;
    if ((*m)["format"] != kFormat) {
      error = path + ": not a Frond checkpoint (metadata format is '" + (*m)["format"] +
              "', expected '" + kFormat + "'); fix: pass a directory written by frond train";
      return false;
    }
  }
  if (pm["checkpoint_id"] != om["checkpoint_id"]) {
    error = dir + ": model.safetensors (step " + pm["step"] + ") and optimizer.safetensors (step " +
            om["step"] + ") come from different saves (a save was interrupted); fix: use an "
            "earlier checkpoint directory";
    return false;
  }
  TrainingState st;
  if (!parseInt(om["step"], st.step) || st.step < 0 ||
      !parseInt(om["data_position"], st.dataPosition)) {
    error = optPath + ": metadata step / data_position are not integers ('" + om["step"] +
            "', '" + om["data_position"] + "'); fix: the file is damaged: use another checkpoint";
    return false;
  }
  st.rng = om["rng"];
  for (auto &[k, v] : om)
    if (k.rfind("x.", 0) == 0)
      st.extra[k.substr(2)] = v;

  if (!expected.empty()) {
    std::set<std::string> known;
    for (auto &info : expected) {
      known.insert(info.path);
      std::vector<int64_t> shape;
      for (auto &d : info.shape)
        shape.push_back(d.size);
      auto it = p.find(info.path);
      if (it == p.end()) {
        if (!info.tiedTo.empty())
          continue; // copied from its owner below
        error = modelPath + ": parameter '" + info.path + "' is missing" + mismatchFix;
        return false;
      }
      Tensor want;
      want.shape = shape;
      if (it->second.dtype != DType::F32 || it->second.shape != shape) {
        error = modelPath + ": parameter '" + info.path + "' is " +
                safetensorsDType(it->second.dtype) + it->second.shapeStr() +
                ", the model expects F32" + want.shapeStr() + mismatchFix;
        return false;
      }
    }
    for (auto &[name, t] : p)
      if (!known.count(name)) {
        error = modelPath + ": tensor '" + name + "' is not a parameter of this model" +
                mismatchFix;
        return false;
      }
    for (auto &info : expected)
      if (!info.tiedTo.empty() && !p.count(info.path)) {
        std::string owner = info.tiedTo;
        for (int guard = 0; !p.count(owner) && guard < 64; ++guard) {
          bool moved = false;
          for (auto &q : expected)
            if (q.path == owner && !q.tiedTo.empty()) {
              owner = q.tiedTo;
              moved = true;
              break;
            }
          if (!moved)
            break;
        }
        if (!p.count(owner)) {
          error = modelPath + ": tied parameter '" + info.path + "' and its owner '" +
                  info.tiedTo + "' are both missing" + mismatchFix;
          return false;
        }
        p[info.path] = p[owner];
      }
  }
  params = std::move(p);
  optimizerState = std::move(o);
  state = std::move(st);
  return true;
}
