//===- GenerateCommand.cpp - `frond generate` ----------------------------===//
//
// Prompts from --prompt or --prompts, one batch through the decoder, text on
// stdout: each prompt followed by its completion and a newline, in order.
// The first unfinished sequence streams as it is produced; later ones are
// held until every earlier one is printed, so the output is the same as one
// --prompt run per line.
//
//===----------------------------------------------------------------------===//
#include "Generation.h"

#include <cstdio>
#include <fstream>

namespace frond::cli {

using namespace frond::gen;

namespace {

/// Prints each sequence's prompt and text in order, streaming the first
/// one that is not finished.
class OrderedPrinter {
public:
  explicit OrderedPrinter(const std::vector<std::string> &prompts)
      : pending(prompts), finished(prompts.size(), false) {
    show(0);
  }
  bool onText(size_t row, const std::string &text) {
    if (text.empty()) {
      finished[row] = true;
    } else if (row == current) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    } else {
      pending[row] += text;
    }
    while (current < finished.size() && finished[current]) {
      std::fputc('\n', stdout);
      show(++current);
    }
    std::fflush(stdout);
    return true;
  }

private:
  void show(size_t row) {
    if (row >= pending.size())
      return;
    std::fwrite(pending[row].data(), 1, pending[row].size(), stdout);
    pending[row].clear();
  }
  std::vector<std::string> pending; ///< what is not printed yet, per row
  std::vector<bool> finished;
  size_t current = 0;
};

bool readPrompts(const Options &o, std::vector<std::string> &prompts) {
  if (!o.prompt.empty()) {
    prompts.push_back(o.prompt);
    return true;
  }
  std::ifstream in(o.promptsFile, std::ios::binary);
  if (!in)
    return fail("cannot read --prompts " + o.promptsFile,
                "pass a text file with one prompt per line"),
           false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      prompts.push_back(line);
  }
  if (prompts.empty())
    return fail("--prompts " + o.promptsFile + " has no prompt (every line is empty)",
                "write one prompt per line"),
           false;
  return true;
}

} // namespace

int generateCommand(const Options &o, const Program &program,
                    const std::vector<Override> &overrides, DiagEngine &diags) {
  if (o.prompt.empty() == o.promptsFile.empty())
    return usageError(o.prompt.empty() ? "generate needs --prompt TEXT or --prompts FILE"
                                       : "give --prompt or --prompts, not both");
  if (o.port >= 0 || o.context > 0)
    return usageError(std::string(o.port >= 0 ? "--port" : "--context") +
                      " is an option of frond serve, not generate");
  std::vector<std::string> texts;
  if (!readPrompts(o, texts))
    return 1;
  GenerationModel g;
  DecoderInputs inputs;
  if (!prepareGeneration(o, program, overrides, diags, g, inputs))
    return 1;

  std::vector<SequenceRequest> requests;
  size_t longest = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    SequenceRequest r;
    std::string error;
    if (!g.tokenizer.encode(texts[i], r.prompt, error) || r.prompt.empty())
      return fail((o.prompt.empty() ? o.promptsFile + ":" + std::to_string(i + 1) + ": "
                                    : std::string("--prompt: ")) +
                  (error.empty() ? "the prompt has no tokens" : error));
    r.sampling = g.defaults.sampling;
    r.maxTokens = g.defaults.maxTokens;
    r.seed = runtime::sequenceSeed(g.defaults.seed, r.prompt);
    longest = std::max(longest, r.prompt.size());
    requests.push_back(std::move(r));
  }
  int64_t total = int64_t(longest) + g.defaults.maxTokens;
  if (g.contextLimit > 0 && total > g.contextLimit)
    return fail("the longest prompt (" + std::to_string(longest) + " tokens) plus " +
                    std::to_string(g.defaults.maxTokens) + " new tokens is " +
                    std::to_string(total) + ", more than the " +
                    std::to_string(g.contextLimit) + " positions model '" +
                    g.inst->model.name + "' has (its max_len)",
                g.contextLimit > int64_t(longest)
                    ? "pass --max-tokens " + std::to_string(g.contextLimit - int64_t(longest)) +
                          " or less, or a shorter prompt"
                    : std::string("shorten the prompt"));

  auto t0 = std::chrono::steady_clock::now();
  if (!makeDecoder(inputs, o.noCache, total, g))
    return 1;
  double setupSec = secondsSince(t0);
  std::fprintf(stderr, "generate %s: model %s, %s; %s; %zu prompt%s, up to %lld new tokens; %s\n",
               g.modelId.c_str(), g.inst->model.name.c_str(), g.paramsNote.c_str(),
               g.tokenizer.describe().c_str(), texts.size(), texts.size() == 1 ? "" : "s",
               (long long)g.defaults.maxTokens, g.defaults.sampling.describe().c_str());

  OrderedPrinter printer(texts);
  std::vector<SequenceResult> results;
  std::string error;
  t0 = std::chrono::steady_clock::now();
  bool ok = generateBatch(
      *g.decoder, g.tokenizer, requests,
      [&](size_t row, const std::string &text, const SequenceResult *) {
        return printer.onText(row, text);
      },
      results, error);
  double sec = secondsSince(t0);
  std::fflush(stdout);
  if (!ok)
    return fail("generation failed: " + error);
  long long tokens = 0;
  for (const SequenceResult &r : results)
    tokens += (long long)r.tokens.size();
  std::fprintf(stderr,
               "generated %lld tokens in %.3f s (%.1f tokens/s; setup %.3f s); decoder: %s\n",
               tokens, sec, sec > 0 ? double(tokens) / sec : 0.0, setupSec,
               g.decoder->describe().c_str());
  return 0;
}

} // namespace frond::cli
