//===- TrainRunDir.cpp - frond train's run directory ----------------------===//
#include "TrainRunDir.h"
#include "TrainOutput.h"

#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/Data.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace frond::cli {

using runtime::Tensor;

/// How to continue the run in `dir`: the same spec, experiment, variant,
/// configuration and overrides.
std::string resumeCommand(const Options &o, const std::string &dir) {
  auto q = [](const std::string &s) {
    return s.find_first_of(" \t\"'\\$`") == std::string::npos ? s : "'" + s + "'";
  };
  std::string c = "frond train";
  if (!o.configPath.empty())
    c += " --config " + q(o.configPath);
  if (!o.experiment.empty())
    c += " --experiment " + q(o.experiment);
  if (!o.variant.empty())
    c += " --variant " + q(o.variant);
  for (auto &s : o.sets)
    c += " --set " + q(s);
  if (o.seed >= 0)
    c += " --seed " + std::to_string(o.seed);
  if (o.batch > 0)
    c += " --batch " + std::to_string(o.batch);
  if (o.seqLen > 0)
    c += " --seq-len " + std::to_string(o.seqLen);
  return c + " --resume " + q(dir) + " " + q(o.file);
}

int resumeRun(const Options &o, const ExperimentInstance &e, const TrainPlan &plan,
              const std::string &modelHash, runtime::Optimizer &opt,
              std::map<std::string, Tensor> &params, fs::path &runDir, ResumedRun &resumed) {
  const ModelInstance &m = e.model;
  const std::string variantName = cli::variantName(e);
  std::string error;
  long long &startStep = resumed.startStep;
  double &priorTime = resumed.priorTime;
  bool &metricsExisted = resumed.metricsExisted;
  size_t &droppedLines = resumed.droppedLines;
  auto &keptLines = resumed.keptLines;
  auto &history = resumed.history, &valHistory = resumed.valHistory;
  runDir = o.resume;
  if (fs::exists(runDir / "model.safetensors") && !fs::exists(runDir / "checkpoint"))
    runDir = runDir.parent_path(); // the checkpoint directory itself was given
  fs::path ck = runDir / "checkpoint";
  if (!fs::is_directory(runDir))
    return fail("cannot resume: '" + o.resume + "' is not a directory",
                "pass the run directory that frond train printed (runs/<experiment>/...)");
  if (!fs::exists(ck / "model.safetensors") || !fs::exists(ck / "optimizer.safetensors"))
    return fail("cannot resume: '" + o.resume + "' has no checkpoint (" + ck.string() +
                    "/model.safetensors and optimizer.safetensors)",
                "pass the run directory that frond train printed; a run stopped before "
                "its first checkpoint must start again");
  std::map<std::string, Tensor> optState;
  runtime::TrainingState ts;
  bool loaded = runtime::loadCheckpoint(ck.string(), m.params, params, optState, ts, error);
  if (!loaded) {
    // Read without checking the parameters: a checkpoint of another
    // experiment, variant or model says so below, with the flags to use.
    std::string error2;
    std::map<std::string, Tensor> p2, o2;
    if (!runtime::loadCheckpoint(ck.string(), {}, p2, o2, ts, error2))
      return fail("cannot resume from " + ck.string() + ":\n  " + error);
  }
  auto want = [&](const std::string &key, const std::string &now, const std::string &what,
                  const std::string &fix) -> bool {
    auto it = ts.extra.find(key);
    if (it == ts.extra.end() || it->second == now)
      return true;
    fail("cannot resume from " + ck.string() + ": " + what + " was " + it->second +
             ", now " + now,
         fix);
    return false;
  };
  if (!want("experiment", e.name, "the experiment",
            "resume with --experiment " + ts.extra["experiment"]) ||
      !want("variant", variantName, "the variant",
            ts.extra["variant"] == "base" ? std::string("resume without --variant")
                                          : "resume with --variant " + ts.extra["variant"]) ||
      !want("model_hash", modelHash, "the model's fingerprint",
            "resume with the spec, experiment, variant and --set model.* overrides that "
            "wrote the checkpoint (see " +
                (runDir / "run.json").string() + "), or start a fresh run") ||
      !want("seed", std::to_string(plan.seed), "the seed",
            "resume without --seed, or with --seed " + ts.extra["seed"]) ||
      !want("batch", std::to_string(plan.batch), "train.batch",
            "resume with --set train.batch=" + ts.extra["batch"]) ||
      !want("seq_len", std::to_string(plan.seqLen), "train.seq_len",
            "resume with --set train.seq_len=" + ts.extra["seq_len"]) ||
      !want("accumulate", std::to_string(plan.accumulate), "train.accumulate",
            "resume with --set train.accumulate=" + ts.extra["accumulate"]) ||
      !want("steps", std::to_string(plan.total), "train.steps (the schedule's length)",
            "resume with --set train.steps=" + ts.extra["steps"] +
                " (use --steps N to stop early)"))
    return 1;
  if (!loaded)
    return fail("cannot resume from " + ck.string() + ":\n  " + error);
  for (auto &[k, v] : e.settings) {
    auto it = ts.extra.find("setting." + k);
    if (it != ts.extra.end() && it->second != v)
      std::fprintf(stderr,
                   "frond: warning: %s was %s when the checkpoint was written, now %s; the "
                   "resumed run will differ from an uninterrupted one\n",
                   k.c_str(), it->second.c_str(), v.c_str());
  }
  if (!opt.loadState(optState, error))
    return fail("cannot resume from " + ck.string() + ":\n  " + error,
                "resume with the optimizer settings that wrote the checkpoint");
  startStep = ts.step;
  if (ts.extra.count("time"))
    priorTime = std::atof(ts.extra["time"].c_str());
  if (startStep >= plan.stopAt) {
    std::printf("%s is at step %lld of %lld already; nothing to do\n", runDir.c_str(),
                startStep, plan.total);
    if (startStep < plan.total)
      std::printf("(continue with: %s)\n", resumeCommand(o, runDir.string()).c_str());
    return 0;
  }
  // The metrics rows up to the checkpoint's step stay; later ones (written
  // after the last checkpoint by a run that stopped) are dropped.
  std::ifstream in(runDir / "metrics.jsonl");
  metricsExisted = bool(in);
  for (std::string line; std::getline(in, line);) {
    long long step = 0;
    if (line.empty())
      continue;
    if (jsonInt(line, "step", step) && step > startStep) {
      ++droppedLines;
      continue;
    }
    double v = 0;
    if (line.find("\"event\"") == std::string::npos) {
      if (jsonDouble(line, "loss", v))
        history.push_back({step, v});
      else if (jsonDouble(line, "val_loss", v))
        valHistory.push_back({step, v});
    }
    keptLines.push_back(line);
  }
  return -1;
}

int newRunDir(const Options &o, const ExperimentInstance &e, fs::path &runDir) {
  std::string stamp = timestamp("%Y%m%d-%H%M%S");
  if (!o.out.empty()) {
    runDir = o.out;
    std::error_code ec;
    if (fs::exists(runDir, ec) &&
        (!fs::is_directory(runDir, ec) || !fs::is_empty(runDir, ec)))
      return fail("the run directory '" + o.out + "' already exists" +
                      (fs::exists(runDir / "metrics.jsonl") ? " and holds a run" : "") +
                      "; frond train does not overwrite it",
                  "continue that run with --resume " + o.out +
                      ", or pass a new --out directory (or delete this one)");
  } else {
    fs::path base = fs::path(o.runsDir.empty() ? "runs" : o.runsDir) / e.name;
    runDir = base / (variantName(e) + "-" + stamp);
    for (int i = 2; fs::exists(runDir); ++i)
      runDir = base / (variantName(e) + "-" + stamp + "-" + std::to_string(i));
  }
  return -1;
}

bool writeRunJson(const Options &o, const ExperimentInstance &e, const TrainPlan &plan,
                  const runtime::DataSource &data, const std::string &modelHash,
                  const fs::path &runDir, std::string &error) {
  const ModelInstance &m = e.model;
  std::error_code ec;
  JsonObject settings, args;
  for (auto &[k, v] : e.settings)
    settings.str(k, v);
  for (auto &[k, v] : m.args)
    args.str(k, v.str());
  std::string sets = "[";
  for (size_t i = 0; i < o.sets.size(); ++i)
    sets += (i ? ", " : "") + jsonStr(o.sets[i]);
  sets += "]";
  JsonObject run;
  run.str("spec", fs::absolute(o.file).lexically_normal().string())
      .str("experiment", e.name)
      .str("variant", variantName(e))
      .str("model", m.name)
      .str("device", o.device.empty() ? "cpu" : o.device)
      .integer("seed", (long long)plan.seed)
      .integer("steps", plan.total)
      .integer("batch", plan.batch)
      .integer("seq_len", plan.seqLen)
      .integer("accumulate", plan.accumulate)
      .integer("eval_every", plan.evalEvery)
      .integer("checkpoint_every", plan.checkpointEvery)
      .integer("val_batches", plan.valBatches)
      .integer("parameters", m.totalParams())
      .integer("trainable_parameters", m.trainableParams())
      .str("data", data.describe())
      .str("model_hash", modelHash)
      .raw("settings", settings.text())
      .raw("model_args", args.text())
      .raw("overrides", sets)
      .str("command", commandLine())
      .str("cwd", fs::current_path(ec).string())
      .str("started", timestamp("%Y-%m-%dT%H:%M:%S%z"));
  return runtime::writeFileAtomic((runDir / "run.json").string(),
                                  oneKeyPerLine(run.text()) + "\n", error);
}

} // namespace frond::cli
