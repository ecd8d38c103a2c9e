//===- GenerateOptions.cpp - the options of frond generate / serve -------===//
#include "Cli.h"

#include "frond/runtime/Sampling.h"

#include <cmath>
#include <cstdlib>

namespace frond::cli {

const char *const kGenerateHelp =
    "usage: frond generate FILE [--checkpoint DIR] (--prompt TEXT | --prompts FILE)\n"
    "                      [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]\n"
    "                      [--top-p-style hf|pldr] [--repetition-penalty R] [--greedy]\n"
    "                      [--seed S] [--no-cache] [--experiment N] [--variant V]\n"
    "                      [--set K=V]...\n\n"
    "Generates a continuation of the prompt with the experiment's model and\n"
    "streams it to stdout as it is produced (the prompt is printed first). The\n"
    "prompt is text for text(...) data (byte tokens: token = byte value) and\n"
    "token ids separated by spaces for synthetic tasks (\"3 17 5\"; every\n"
    "generated id is printed as \" <id>\"). A model with a per-sample input besides\n"
    "its tokens (PALM's src_len) takes the prompt as its source.\n\n"
    "  --checkpoint DIR    a run directory written by frond train\n"
    "                      (runs/<experiment>/<variant>-<time>/) or its checkpoint/\n"
    "                      directory; its experiment and variant are used unless\n"
    "                      --experiment / --variant say otherwise (they must agree).\n"
    "                      Without it: freshly initialised parameters (noise).\n"
    "  --prompt TEXT       the prompt\n"
    "  --prompts FILE      one prompt per line (empty lines skipped), generated as one\n"
    "                      batch; each prompt and its completion is printed on its\n"
    "                      own line, in order, exactly as a --prompt run prints it\n"
    "  --max-tokens N      new tokens per prompt (default: generate.max_tokens, else 16)\n"
    "  --temperature T     divide the logits by T >= 0 (0: greedy; default 1)\n"
    "  --top-k K           keep the K largest logits (0: off, the default)\n"
    "  --top-p P           keep the most likely tokens up to mass P in (0, 1] (1: off)\n"
    "  --top-p-style S     hf: keep the token that crosses P (Hugging Face, the\n"
    "                      default); pldr: drop it (PLDR's stricter rule)\n"
    "  --repetition-penalty R\n"
    "                      divide (positive) or multiply (negative) the logits of\n"
    "                      tokens already in the sequence by R > 0 (1: off)\n"
    "  --greedy            always the most likely token\n"
    "  --seed S            the sampling seed (default: train.seed, else 1); also the\n"
    "                      fresh parameters' seed without --checkpoint. Each prompt's\n"
    "                      stream depends on the seed and the prompt alone, so a batch\n"
    "                      gives the same text as one prompt at a time\n"
    "  --no-cache          full recompute: the whole sequence through the forward at\n"
    "                      every step. Default: the cached decoder (the spec's `cache`\n"
    "                      declarations), falling back to full recompute with a note\n"
    "                      when the model declares no cache or it is not available\n\n"
    "The order is: repetition penalty, temperature, top-k, top-p, then a draw\n"
    "(or the largest logit when greedy). Defaults come from the experiment's\n"
    "generate { } section; the flags override it. A line on stderr at the end\n"
    "gives the tokens, tokens/s and the decoder.\n"
    "Exit status: 0 ok, 1 errors, 2 bad command line.\n";

const char *const kServeHelp =
    "usage: frond serve FILE [--checkpoint DIR] [--port P] [--context N]\n"
    "                   [--max-tokens N] [sampling flags as for generate] [--no-cache]\n\n"
    "Serves the experiment's model over HTTP on 127.0.0.1 (loopback only) with an\n"
    "OpenAI-compatible API:\n"
    "  POST /v1/completions       {\"prompt\": \"...\" or [\"...\", ...], \"max_tokens\",\n"
    "                             \"temperature\", \"top_p\", \"top_k\", \"seed\", \"stop\",\n"
    "                             \"stream\", \"repetition_penalty\", \"top_p_style\"}\n"
    "  POST /v1/chat/completions  {\"messages\": [{\"role\", \"content\"}, ...], same options}\n"
    "  GET  /v1/models            the one model: <experiment> or <experiment>/<variant>\n"
    "  GET  /health               {\"status\": \"ok\"}\n"
    "\"stream\": true answers with server-sent events (data: {...} per piece of\n"
    "text, then data: [DONE]). Bad requests get a 4xx status and a JSON body\n"
    "{\"error\": {\"message\", \"type\", \"param\"}}.\n\n"
    "Chat template: every message becomes \"<role>: <content>\\n\" (roles system,\n"
    "user, assistant), then \"assistant:\" is appended; the completion is the\n"
    "assistant's reply.\n\n"
    "One worker thread owns the model: requests wait in a queue and the worker\n"
    "takes the queued requests together as one batch (each with its own\n"
    "settings and length). A request without \"seed\" gets --seed plus its request\n"
    "number; with one, the same request gives the same text.\n\n"
    "  --port P         the port (default 8000; 0: any free port). The line\n"
    "                   \"frond serve: listening on http://127.0.0.1:PORT ...\" on\n"
    "                   stdout says which\n"
    "  --context N      the longest prompt + completion a request may reach\n"
    "                   (default: the model's max_len, else 1024)\n"
    "  --max-tokens N   max_tokens of a request that gives none (default:\n"
    "                   generate.max_tokens, else 16)\n"
    "  --checkpoint, --temperature, --top-k, --top-p, --top-p-style,\n"
    "  --repetition-penalty, --greedy, --seed, --no-cache: as for generate (the\n"
    "                   defaults of every request)\n\n"
    "SIGTERM or SIGINT (Ctrl-C): stop accepting connections, finish the requests\n"
    "in flight and queued, exit 0; a second signal cancels them (their text ends\n"
    "with finish_reason \"cancelled\").\n";

int parseGenerationOption(const std::vector<std::string> &args, size_t &i, Options &o) {
  const std::string &a = args[i];
  std::string flag = a.substr(0, a.rfind("--", 0) == 0 ? a.find('=') : std::string::npos);
  auto bad = [&](const std::string &what, const std::string &v) {
    usageError(flag + " needs " + what + ", not '" + v + "'");
    return -1;
  };
  std::string v;
  if (flag == "--greedy") {
    o.greedy = true;
    o.generationFlags.push_back(flag);
    return 1;
  }
  static const char *const kTakesValue[] = {
      "--checkpoint", "--prompt",     "--prompts", "--max-tokens",        "--temperature",
      "--top-k",      "--top-p",      "--port",    "--repetition-penalty", "--top-p-style",
      "--context"};
  bool known = false;
  for (const char *f : kTakesValue)
    known = known || flag == f;
  if (!known)
    return 0;
  if (!optionValue(args, i, v))
    return usageError(flag + " needs a value"), -1;
  o.generationFlags.push_back(flag);
  char *end = nullptr;
  if (flag == "--checkpoint" || flag == "--prompt" || flag == "--prompts") {
    if (v.empty())
      return bad(flag == "--prompt" ? "some text" : "a path", v);
    (flag == "--checkpoint" ? o.checkpoint : flag == "--prompt" ? o.prompt : o.promptsFile) = v;
  } else if (flag == "--top-p-style") {
    runtime::TopPStyle style;
    if (!runtime::parseTopPStyle(v, style))
      return bad("hf or pldr", v);
    o.topPStyle = v;
  } else if (flag == "--max-tokens" || flag == "--top-k" || flag == "--port" ||
             flag == "--context") {
    long long n = std::strtoll(v.c_str(), &end, 10);
    bool positive = flag == "--max-tokens" || flag == "--context";
    if (v.empty() || *end || n < (positive ? 1 : 0) || (flag == "--port" && n > 65535))
      return bad(flag == "--port" ? "a port in [0, 65535]"
                 : positive       ? "a positive integer"
                                  : "a non-negative integer",
                 v);
    (flag == "--max-tokens" ? o.maxTokens
     : flag == "--top-k"    ? o.topK
     : flag == "--port"     ? o.port
                            : o.context) = n;
  } else {
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(x))
      return bad("a number", v);
    if (flag == "--temperature" && x < 0)
      return bad("a number >= 0 (0 is greedy)", v);
    if (flag == "--top-p" && !(x > 0 && x <= 1))
      return bad("a number in (0, 1]", v);
    if (flag == "--repetition-penalty" && !(x > 0))
      return bad("a number > 0", v);
    (flag == "--temperature" ? o.temperature : flag == "--top-p" ? o.topP : o.repetitionPenalty) =
        x;
  }
  return 1;
}

} // namespace frond::cli
