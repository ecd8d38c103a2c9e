//===- CheckpointInput.cpp - --checkpoint for generate, serve and eval ----===//
#include "CheckpointInput.h"

#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace frond::cli {

namespace {

bool failed(const std::string &what, const std::string &fix) {
  fail(what, fix);
  return false;
}

/// `error` ("<file>: <what>; fix: <how>") with its fix replaced by `fix`.
bool failWithFix(const std::string &what, const std::string &error, const std::string &fix) {
  size_t at = error.find("; fix: ");
  return failed(what + (at == std::string::npos ? error : error.substr(0, at)), fix);
}

/// The checkpoint directory of --checkpoint PATH: PATH/checkpoint (a run
/// directory) or PATH itself (a checkpoint directory).
bool findCheckpoint(const std::string &path, std::string &dir) {
  const std::string fix = "pass a run directory written by frond train "
                          "(runs/<experiment>/<variant>-<time>/) or its checkpoint/ directory";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return failed("--checkpoint " + path + ": no such file or directory", fix);
  if (fs::exists(fs::path(path) / "checkpoint" / "model.safetensors", ec))
    dir = (fs::path(path) / "checkpoint").string();
  else if (fs::exists(fs::path(path) / "model.safetensors", ec))
    dir = path;
  else
    return failed("--checkpoint " + path + " holds no checkpoint (no " +
                    (fs::path(path) / "checkpoint" / "model.safetensors").string() + ")",
                fix + "; a run stopped before its first checkpoint has none");
  return true;
}

} // namespace

bool openCheckpoint(const Options &o, const char *command, CheckpointInput &ck) {
  if (!findCheckpoint(o.checkpoint, ck.dir))
    return false;
  std::string error;
  std::map<std::string, runtime::Tensor> params, optState;
  if (!runtime::loadCheckpoint(ck.dir, {}, params, optState, ck.state, error))
    return failWithFix("cannot read the checkpoint: ", error,
                       "pass a checkpoint written by frond train (the file is damaged, or "
                       "not a Frond checkpoint)");
  auto was = [&](const char *key) {
    auto it = ck.state.extra.find(key);
    return it == ck.state.extra.end() ? std::string() : it->second;
  };
  std::string trainedAs = was("experiment"), trainedVariant = was("variant");
  if (trainedVariant == "base")
    trainedVariant = "";
  ck.experiment = o.experiment.empty() ? trainedAs : o.experiment;
  ck.variant = o.variant.empty() ? trainedVariant : o.variant;
  std::string verb = command;
  if (!trainedAs.empty() && ck.experiment != trainedAs)
    return failed(ck.dir + " was trained by experiment '" + trainedAs + "', not '" +
                    ck.experiment + "'",
                verb + " with --experiment " + trainedAs + " (or omit --experiment)");
  if (!o.variant.empty() && o.variant != trainedVariant)
    return failed(ck.dir + " was trained as " +
                    (trainedVariant.empty() ? "the base experiment"
                                            : "variant '" + trainedVariant + "'") +
                    ", not variant '" + o.variant + "'",
                trainedVariant.empty()
                    ? verb + " without --variant"
                    : verb + " with --variant " + trainedVariant + " (or omit --variant)");
  return true;
}

bool loadCheckpointParams(const CheckpointInput &ck, const ModelInstance &m, const char *command,
                          std::map<std::string, runtime::Tensor> &params) {
  std::string error;
  std::map<std::string, runtime::Tensor> optState;
  runtime::TrainingState state;
  if (runtime::loadCheckpoint(ck.dir, m.params, params, optState, state, error))
    return true;
  std::string run = fs::path(ck.dir).parent_path().string();
  return failWithFix("the checkpoint does not fit model '" + m.name + "': ", error,
                     std::string(command) +
                         " with the spec, --experiment, --variant and --set model.* overrides "
                         "that trained it (see " +
                         (fs::path(run) / "run.json").string() + ")");
}

std::string describe(const CheckpointInput &ck) {
  return "checkpoint " + ck.dir + " (step " + std::to_string(ck.state.step) + ")";
}

} // namespace frond::cli
