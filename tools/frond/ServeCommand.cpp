//===- ServeCommand.cpp - `frond serve`: an OpenAI-compatible HTTP API ---===//
//
// cpp-httplib serves 127.0.0.1 only. Its handler threads parse and validate
// requests (ServeApi.h) and hand them to the one worker thread that owns the
// model (ServeWorker.h); a handler then waits for its job, or streams its
// text as server-sent events as the worker reports it.
//
// Shutdown: SIGTERM / SIGINT write to a pipe (the only thing a handler may
// safely do); a watcher thread reads it and stops the server, which stops
// accepting connections and returns from listen once every handler in
// flight has answered. A second signal cancels what is still generating.
//
//===----------------------------------------------------------------------===//
#include "Cli.h"
#include "ServeWorker.h"

#include <httplib.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <unistd.h>

namespace frond::cli {

using namespace frond::gen;
using namespace frond::serve;

namespace {

int g_signalPipe[2] = {-1, -1};

extern "C" void onShutdownSignal(int sig) {
  char c = char(sig);
  ssize_t n = write(g_signalPipe[1], &c, 1);
  (void)n;
}

void sendError(httplib::Response &res, const ApiError &e) {
  res.status = e.status;
  res.set_content(e.body(), "application/json");
}

ApiError serverError(int status, const std::string &message) {
  ApiError e;
  e.status = status;
  e.message = message;
  e.type = status == 503 ? "server_unavailable" : "server_error";
  return e;
}

/// Streams `job` as server-sent events until it is done; false (and the job
/// cancelled) when the client goes away.
bool streamJob(const std::shared_ptr<Job> &job, const std::string &modelId,
               httplib::DataSink &sink) {
  std::vector<bool> started(job->seqs.size(), false);
  auto send = [&](const std::string &s) {
    if (sink.write(s.data(), s.size()))
      return true;
    job->cancelled = true;
    return false;
  };
  for (;;) {
    std::deque<JobEvent> events;
    bool done, failed;
    std::string error;
    {
      std::unique_lock<std::mutex> lock(job->mutex);
      job->changed.wait(lock, [&] { return !job->events.empty() || job->done(); });
      events.swap(job->events);
      done = job->done();
      failed = job->failed;
      error = job->error;
    }
    for (const JobEvent &e : events) {
      if (!send(streamChunk(*job, modelId, e, !started[e.index])))
        return false;
      started[e.index] = true;
    }
    if (done) {
      if (failed && !send("data: " + serverError(500, error).body() + "\n\n"))
        return false;
      if (!send(kStreamDone))
        return false;
      sink.done();
      return true;
    }
  }
}

} // namespace

int serveCommand(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags) {
  if (!o.prompt.empty() || !o.promptsFile.empty())
    return usageError("--prompt / --prompts are options of frond generate; frond serve takes "
                      "prompts in requests");
  GenerationModel g;
  DecoderInputs inputs;
  if (!prepareGeneration(o, program, overrides, diags, g, inputs))
    return 1;
  int64_t context = o.context > 0 ? o.context : g.contextLimit > 0 ? g.contextLimit : 1024;
  if (g.contextLimit > 0 && context > g.contextLimit)
    return usageError("--context " + std::to_string(context) + " is beyond the " +
                      std::to_string(g.contextLimit) + " positions model '" +
                      g.inst->model.name + "' has (its max_len)");
  if (!makeDecoder(inputs, o.noCache, context, g))
    return 1;
  ApiContext api;
  api.model = &g;
  api.context = context;
  api.nextSeed = g.defaults.seed;
  Worker worker(g);

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_timeout(2);
  server.set_payload_max_length(size_t(4) << 20);
  std::atomic<uint64_t> requests{0};
  const std::string modelId = g.modelId;

  server.Get("/health", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content(dumpJson({{"status", "ok"}, {"model", modelId}}), "application/json");
  });
  server.Get("/v1/models", [&](const httplib::Request &, httplib::Response &res) {
    Json model = {{"id", modelId}, {"object", "model"}, {"created", 0}, {"owned_by", "frond"}};
    res.set_content(dumpJson({{"object", "list"}, {"data", Json::array({model})}}),
                    "application/json");
  });
  auto complete = [&](bool chat) {
    return [&, chat](const httplib::Request &req, httplib::Response &res) {
      auto job = std::make_shared<Job>();
      ApiError err;
      if (!parseRequest(req.body, chat, api, *job, err))
        return sendError(res, err);
      job->id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(++requests);
      job->created = int64_t(std::time(nullptr));
      if (!worker.submit(job))
        return sendError(res, serverError(503, "the server is shutting down or its queue is "
                                               "full; retry later"));
      if (job->stream) {
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider(
            "text/event-stream", [job, modelId](size_t, httplib::DataSink &sink) {
              return streamJob(job, modelId, sink);
            });
        return;
      }
      std::unique_lock<std::mutex> lock(job->mutex);
      job->changed.wait(lock, [&] { return job->done(); });
      if (job->failed)
        return sendError(res, serverError(500, job->error));
      res.set_content(responseBody(*job, modelId), "application/json");
    };
  };
  server.Post("/v1/completions", complete(false));
  server.Post("/v1/chat/completions", complete(true));
  server.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty())
      return;
    ApiError e;
    e.status = res.status;
    e.message = res.status == 404 ? "no endpoint " + req.method + " " + req.path +
                                        "; the endpoints are POST /v1/completions, POST "
                                        "/v1/chat/completions, GET /v1/models, GET /health"
                : res.status == 413 ? std::string("the request body is too large (4 MiB at most; 8 KiB "
                                                "without Content-Type: application/json)")
                                    : "HTTP status " + std::to_string(res.status);
    res.set_content(e.body(), "application/json");
  });
  server.set_logger([](const httplib::Request &req, const httplib::Response &res) {
    std::fprintf(stderr, "frond serve: %s %s %d\n", req.method.c_str(), req.path.c_str(),
                 res.status);
  });

  int port = int(o.port < 0 ? 8000 : o.port);
  if (port == 0)
    port = server.bind_to_any_port("127.0.0.1");
  else if (!server.bind_to_port("127.0.0.1", port))
    port = -1;
  if (port <= 0) {
    std::fprintf(stderr, "frond: error: cannot listen on 127.0.0.1:%lld (in use?)\n  fix: pass "
                         "another --port, or --port 0 for any free one\n",
                 o.port < 0 ? 8000LL : o.port);
    return 1;
  }

  // Shutdown: signals -> pipe -> watcher -> server.stop() (once listening).
  if (pipe(g_signalPipe) != 0)
    return std::fprintf(stderr, "frond: error: %s\n", std::strerror(errno)), 1;
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, onShutdownSignal);
  std::signal(SIGINT, onShutdownSignal);
  std::atomic<bool> listening{true};
  std::thread watcher([&] {
    int signals = 0;
    bool stopped = false;
    while (listening) {
      pollfd p{g_signalPipe[0], POLLIN, 0};
      char c = 0;
      if (poll(&p, 1, 50) > 0 && read(g_signalPipe[0], &c, 1) == 1 && c != 0) {
        if (++signals == 1)
          std::fprintf(stderr, "frond serve: %s: finishing the requests in flight (signal "
                               "again to cancel them)\n",
                       strsignal(c));
        else
          std::fprintf(stderr, "frond serve: %s: cancelling the requests in flight\n",
                       strsignal(c)),
              worker.cancelAll();
      }
      if (signals > 0 && !stopped && server.is_running()) {
        server.stop();
        stopped = true;
      }
    }
  });

  std::printf("frond serve: listening on http://127.0.0.1:%d (model %s, %s; decoder: %s; "
              "context %lld tokens; one worker thread owns the model, concurrent requests "
              "queue and are batched)\n",
              port, modelId.c_str(), g.paramsNote.c_str(), g.decoder->describe().c_str(),
              (long long)context);
  std::fflush(stdout);
  bool ok = server.listen_after_bind();
  listening = false;
  watcher.join();
  worker.stop();
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  close(g_signalPipe[0]);
  close(g_signalPipe[1]);
  std::fprintf(stderr, "frond serve: stopped after %llu requests in %zu batches\n",
               (unsigned long long)requests.load(), worker.batches());
  return ok ? 0 : 1;
}

} // namespace frond::cli
