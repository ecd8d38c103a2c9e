//===- ServeApi.cpp - request validation and response JSON ---------------===//
//
// nlohmann::json runs without exceptions here (LLVM's -fno-exceptions): a
// throw would abort, so every value's type is checked before it is read,
// parsing reports errors through a SAX handler, and dumping replaces
// invalid UTF-8.
//
//===----------------------------------------------------------------------===//
#include "ServeApi.h"

#include <cmath>

namespace frond::serve {

namespace {

/// nlohmann's DOM builder, keeping the parse error's message instead of
/// throwing it.
class ParseErrorCatcher {
public:
  explicit ParseErrorCatcher(Json &result) : dom(result, /*allow_exceptions=*/false) {}
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;
  bool null() { return dom.null(); }
  bool boolean(bool v) { return dom.boolean(v); }
  bool number_integer(number_integer_t v) { return dom.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t &s) { return dom.number_float(v, s); }
  bool string(string_t &v) { return dom.string(v); }
  bool binary(binary_t &v) { return dom.binary(v); }
  bool start_object(std::size_t n) { return dom.start_object(n); }
  bool key(string_t &v) { return dom.key(v); }
  bool end_object() { return dom.end_object(); }
  bool start_array(std::size_t n) { return dom.start_array(n); }
  bool end_array() { return dom.end_array(); }
  template <class Exception>
  bool parse_error(std::size_t, const std::string &, const Exception &ex) {
    message = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, ...": drop the tag.
    if (size_t tag = message.find("] "); tag != std::string::npos)
      message = message.substr(tag + 2);
    return false;
  }
  std::string message;

private:
  nlohmann::detail::json_sax_dom_parser<Json> dom;
};

bool bad(ApiError &err, const std::string &param, const std::string &message, int status = 400) {
  err.status = status;
  err.param = param;
  err.message = message;
  return false;
}

/// body[key] when present and not null, else nullptr.
const Json *field(const Json &body, const char *key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

bool readNumber(const Json &body, const char *key, double lo, double hi, bool loOpen, double &out,
                ApiError &err) {
  const Json *v = field(body, key);
  if (!v)
    return true;
  if (!v->is_number())
    return bad(err, key, std::string(key) + " must be a number");
  double x = v->get<double>();
  if (!std::isfinite(x) || (loOpen ? x <= lo : x < lo) || x > hi) {
    char range[96];
    std::snprintf(range, sizeof range, "%s%g, %g]", loOpen ? "(" : "[", lo, hi);
    return bad(err, key, std::string(key) + " must be in " + range + ", got " + v->dump());
  }
  out = x;
  return true;
}

bool readInt(const Json &body, const char *key, int64_t lo, int64_t &out, bool &given,
             ApiError &err) {
  const Json *v = field(body, key);
  given = v != nullptr;
  if (!v)
    return true;
  if (!v->is_number_integer())
    return bad(err, key, std::string(key) + " must be an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX))
    return bad(err, key, std::string(key) + " is too large");
  out = v->get<int64_t>();
  if (out < lo)
    return bad(err, key, std::string(key) + " must be at least " + std::to_string(lo) +
                             ", got " + std::to_string(out));
  return true;
}

/// The prompts of a completions request: a string or an array of strings.
bool readPrompts(const Json &body, std::vector<std::string> &prompts, ApiError &err) {
  const Json *p = field(body, "prompt");
  if (!p)
    return bad(err, "prompt", "the request needs \"prompt\" (a string)");
  if (p->is_string()) {
    prompts.push_back(p->get<std::string>());
  } else if (p->is_array() && !p->empty() && p->size() <= 32) {
    for (const Json &s : *p) {
      if (!s.is_string())
        return bad(err, "prompt", "\"prompt\" must be a string or an array of strings");
      prompts.push_back(s.get<std::string>());
    }
  } else {
    return bad(err, "prompt",
               "\"prompt\" must be a string or an array of 1 to 32 strings");
  }
  return true;
}

bool checkMessages(const Json &body, ApiError &err) {
  const Json *m = field(body, "messages");
  if (!m || !m->is_array() || m->empty())
    return bad(err, "messages",
               "the request needs \"messages\": a non-empty array of {\"role\", \"content\"}");
  for (const Json &msg : *m) {
    const Json *role = msg.is_object() ? field(msg, "role") : nullptr;
    const Json *content = msg.is_object() ? field(msg, "content") : nullptr;
    if (!role || !content)
      return bad(err, "messages", "every message needs \"role\" and \"content\"");
    if (!role->is_string() || (*role != "system" && *role != "user" && *role != "assistant"))
      return bad(err, "messages",
                 "a message's \"role\" must be \"system\", \"user\" or \"assistant\", got " +
                     role->dump());
    if (!content->is_string())
      return bad(err, "messages", "a message's \"content\" must be a string");
  }
  return true;
}

bool readStops(const Json &body, std::vector<std::string> &stops, ApiError &err) {
  const Json *s = field(body, "stop");
  if (!s)
    return true;
  std::vector<const Json *> items;
  if (s->is_string())
    items.push_back(s);
  else if (s->is_array() && s->size() <= 4)
    for (const Json &x : *s)
      items.push_back(&x);
  else
    return bad(err, "stop", "\"stop\" must be a string or an array of at most 4 strings");
  for (const Json *x : items) {
    if (!x->is_string() || x->get<std::string>().empty())
      return bad(err, "stop", "every stop sequence must be a non-empty string");
    stops.push_back(x->get<std::string>());
  }
  return true;
}

/// Sampling settings: the server's defaults, then the request's fields.
bool readSampling(const Json &body, runtime::SamplingParams &p, ApiError &err) {
  int64_t topK = p.topK;
  bool given = false;
  if (!readNumber(body, "temperature", 0, 2, false, p.temperature, err) ||
      !readNumber(body, "top_p", 0, 1, true, p.topP, err) ||
      !readNumber(body, "repetition_penalty", 0, 100, true, p.repetitionPenalty, err) ||
      !readInt(body, "top_k", 0, topK, given, err))
    return false;
  p.topK = topK;
  if (const Json *style = field(body, "top_p_style"))
    if (!style->is_string() || !runtime::parseTopPStyle(style->get<std::string>(), p.topPStyle))
      return bad(err, "top_p_style", "\"top_p_style\" must be \"hf\" or \"pldr\"");
  // An explicit temperature decides between greedy and sampling.
  if (field(body, "temperature"))
    p.greedy = false;
  return true;
}

} // namespace

std::string dumpJson(const Json &j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ApiError::body() const {
  Json e = {{"message", message}, {"type", type}, {"code", nullptr}};
  e["param"] = param.empty() ? Json(nullptr) : Json(param);
  return dumpJson(Json{{"error", e}});
}

int64_t Job::longestPrompt() const {
  int64_t n = 0;
  for (auto &s : seqs)
    n = std::max(n, int64_t(s.prompt.size()));
  return n;
}

int64_t Job::longestCompletion() const {
  int64_t n = 0;
  for (auto &s : seqs)
    n = std::max(n, s.maxTokens);
  return n;
}

std::string renderChat(const Json &messages) {
  std::string prompt;
  for (const Json &m : messages)
    prompt += m["role"].get<std::string>() + ": " + m["content"].get<std::string>() + "\n";
  return prompt + "assistant:";
}

bool parseRequest(const std::string &text, bool chat, ApiContext &ctx, Job &job, ApiError &err) {
  Json body;
  ParseErrorCatcher sax(body);
  if (!Json::sax_parse(text, &sax))
    return bad(err, "", "the request body is not valid JSON: " + sax.message);
  if (!body.is_object())
    return bad(err, "", "the request body must be a JSON object");
  const gen::GenerationModel &g = *ctx.model;
  if (const Json *model = field(body, "model"))
    if (!model->is_string() || model->get<std::string>() != g.modelId)
      return bad(err, "model",
                 "model " + model->dump() + " is not served here; this server serves \"" +
                     g.modelId + "\" (see /v1/models)",
                 404);
  if (const Json *n = field(body, "n"))
    if (!n->is_number_integer() || n->get<int64_t>() != 1)
      return bad(err, "n", "n must be 1 (one choice per prompt)");
  if (const Json *stream = field(body, "stream")) {
    if (!stream->is_boolean())
      return bad(err, "stream", "\"stream\" must be true or false");
    job.stream = stream->get<bool>();
  }
  job.chat = chat;

  std::vector<std::string> prompts;
  if (chat) {
    if (!checkMessages(body, err))
      return false;
    prompts.push_back(renderChat(body["messages"]));
  } else if (!readPrompts(body, prompts, err)) {
    return false;
  }
  gen::SequenceRequest base;
  base.sampling = g.defaults.sampling;
  if (!readSampling(body, base.sampling, err) || !readStops(body, base.stop, err))
    return false;
  int64_t seed = 0, maxTokens = 0;
  bool seeded = false, limited = false;
  if (!readInt(body, "seed", INT64_MIN, seed, seeded, err))
    return false;
  const char *maxKey = chat && field(body, "max_completion_tokens") ? "max_completion_tokens"
                                                                     : "max_tokens";
  if (!readInt(body, maxKey, 1, maxTokens, limited, err))
    return false;
  uint64_t requestSeed = seeded ? uint64_t(seed) : ctx.nextSeed++;

  for (const std::string &p : prompts) {
    gen::SequenceRequest r = base;
    std::string error;
    if (!g.tokenizer.encode(p, r.prompt, error))
      return bad(err, chat ? "messages" : "prompt", error);
    if (r.prompt.empty())
      return bad(err, "prompt", "the prompt is empty; it needs at least one token");
    int64_t room = ctx.context - int64_t(r.prompt.size());
    if (room < 1)
      return bad(err, chat ? "messages" : "prompt",
                 "the prompt has " + std::to_string(r.prompt.size()) +
                     " tokens, which leaves no room in the context of " +
                     std::to_string(ctx.context) + " tokens");
    if (limited && maxTokens > room)
      return bad(err, maxKey,
                 std::string(maxKey) + " " + std::to_string(maxTokens) + " is beyond the limit: " +
                     "the prompt has " + std::to_string(r.prompt.size()) +
                     " tokens and the context holds " + std::to_string(ctx.context) +
                     ", so at most " + std::to_string(room));
    r.maxTokens = limited ? maxTokens : std::min(g.defaults.maxTokens, room);
    r.seed = runtime::sequenceSeed(requestSeed, r.prompt);
    job.promptTokens += int64_t(r.prompt.size());
    job.seqs.push_back(std::move(r));
  }
  return true;
}

std::string responseBody(const Job &job, const std::string &modelId) {
  Json choices = Json::array();
  int64_t completion = 0;
  for (size_t i = 0; i < job.results.size(); ++i) {
    const gen::SequenceResult &r = job.results[i];
    completion += int64_t(r.tokens.size());
    Json c = {{"index", i}, {"finish_reason", r.finishReason}};
    if (job.chat)
      c["message"] = {{"role", "assistant"}, {"content", r.text}};
    else
      c["text"] = r.text, c["logprobs"] = nullptr;
    choices.push_back(c);
  }
  Json body = {{"id", job.id},
               {"object", job.chat ? "chat.completion" : "text_completion"},
               {"created", job.created},
               {"model", modelId},
               {"choices", choices},
               {"usage",
                {{"prompt_tokens", job.promptTokens},
                 {"completion_tokens", completion},
                 {"total_tokens", job.promptTokens + completion}}}};
  return dumpJson(body);
}

const char *const kStreamDone = "data: [DONE]\n\n";

std::string streamChunk(const Job &job, const std::string &modelId, const JobEvent &e,
                        bool first) {
  Json c = {{"index", e.index}};
  c["finish_reason"] = e.finished ? Json(e.finishReason) : Json(nullptr);
  if (job.chat) {
    Json delta = Json::object();
    if (first)
      delta["role"] = "assistant";
    if (!e.finished)
      delta["content"] = e.text;
    c["delta"] = delta;
  } else {
    c["text"] = e.text;
    c["logprobs"] = nullptr;
  }
  Json chunk = {{"id", job.id},
                {"object", job.chat ? "chat.completion.chunk" : "text_completion"},
                {"created", job.created},
                {"model", modelId},
                {"choices", Json::array({c})}};
  return "data: " + dumpJson(chunk) + "\n\n";
}

} // namespace frond::serve
