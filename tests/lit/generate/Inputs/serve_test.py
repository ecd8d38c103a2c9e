#!/usr/bin/env python3
"""serve_test.py SPEC RUN: drives `frond serve SPEC --checkpoint RUN --port 0`.

Prints one line per check for FileCheck and exits non-zero on the first
failure. The expected texts come from `frond generate` with the same
settings, seed and prompt: the server must give exactly the same tokens.
"""
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

SPEC, RUN = sys.argv[1], sys.argv[2]


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def generate(prompt, *flags):
    """The completion `frond generate` gives (stdout minus the prompt)."""
    out = subprocess.run(["frond", "generate", SPEC, "--checkpoint", RUN, "--prompt", prompt,
                          *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    text = out.stdout.decode("utf-8", "replace")
    check(text.startswith(prompt) and text.endswith("\n"), "generate printed %r" % text)
    return text[len(prompt):-1]


server = subprocess.Popen(["frond", "serve", SPEC, "--checkpoint", RUN, "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
# The stderr log is drained in the background (a full pipe would block it).
log = []
threading.Thread(target=lambda: log.extend(server.stderr), daemon=True).start()
line = server.stdout.readline().decode()
check(line.startswith("frond serve: listening on http://127.0.0.1:"), "startup line %r" % line)
print("startup: " + line.strip())
port = int(line.split("127.0.0.1:")[1].split()[0])
base = "http://127.0.0.1:%d" % port


def request(path, body=None, raw=None):
    """(status, parsed JSON or the raw text) of a GET (no body) or POST."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        status = e.code
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def stream(path, body):
    """The data: payloads of a streaming request, in order."""
    req = urllib.request.Request(base + path, data=json.dumps(dict(body, stream=True)).encode(),
                                 headers={"Content-Type": "application/json"})
    events = []
    with urllib.request.urlopen(req, timeout=60) as r:
        check(r.headers.get("Content-Type", "").startswith("text/event-stream"),
              "stream content type %s" % r.headers.get("Content-Type"))
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                events.append(line[6:])
    check(events and events[-1] == "[DONE]", "stream ends with [DONE]: %r" % events[-1:])
    return [json.loads(e) for e in events[:-1]]


# --- health, models ---------------------------------------------------------------
for _ in range(100):
    status, body = request("/health")
    if status == 200:
        break
    time.sleep(0.1)
check(status == 200 and body["status"] == "ok", "health %s %s" % (status, body))
print("health: %s" % body["status"])
status, body = request("/v1/models")
check(status == 200 and body["object"] == "list" and len(body["data"]) == 1, "models %s" % body)
print("models: %s" % body["data"][0]["id"])

# --- completions: the same tokens as frond generate --------------------------------------
prompt = "First Citizen:"
expect = generate(prompt, "--seed", "7", "--max-tokens", "10")
status, body = request("/v1/completions", {"model": "tiny_gen", "prompt": prompt,
                                           "max_tokens": 10, "seed": 7})
check(status == 200, "completion status %s %s" % (status, body))
choice = body["choices"][0]
check(body["object"] == "text_completion" and choice["finish_reason"] == "length",
      "completion body %s" % body)
check(choice["text"] == expect, "completion %r, generate gave %r" % (choice["text"], expect))
check(body["usage"] == {"prompt_tokens": 14, "completion_tokens": 10, "total_tokens": 24},
      "usage %s" % body["usage"])
print("completion: equals frond generate --seed 7 (%d characters)" % len(expect))

greedy = generate(prompt, "--greedy", "--max-tokens", "12")
status, body = request("/v1/completions", {"prompt": prompt, "max_tokens": 12, "temperature": 0})
check(body["choices"][0]["text"] == greedy, "greedy %r vs %r" % (body, greedy))
print("completion: temperature 0 equals frond generate --greedy")

chunks = stream("/v1/completions", {"prompt": prompt, "max_tokens": 10, "seed": 7})
text = "".join(c["choices"][0]["text"] for c in chunks)
check(text == expect, "streamed %r, expected %r" % (text, expect))
check(chunks[-1]["choices"][0]["finish_reason"] == "length" and
      all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1]),
      "stream finish reasons %s" % chunks)
print("completion stream: %d chunks, same text, then [DONE]" % len(chunks))

# A prompt array: one choice per prompt, each as if alone.
second = "We are"
status, body = request("/v1/completions", {"prompt": [prompt, second], "max_tokens": 10,
                                           "seed": 7})
texts = [c["text"] for c in sorted(body["choices"], key=lambda c: c["index"])]
check(texts == [expect, generate(second, "--seed", "7", "--max-tokens", "10")],
      "prompt array %s" % body)
print("completion: a prompt array gives one choice per prompt")

# Stop strings cut the text before them.
stop = expect[3:5]
status, body = request("/v1/completions", {"prompt": prompt, "max_tokens": 10, "seed": 7,
                                           "stop": [stop]})
cut = expect[:expect.find(stop)]
check(body["choices"][0]["text"] == cut and body["choices"][0]["finish_reason"] == "stop",
      "stop %r: %s (expected %r)" % (stop, body, cut))
print("completion: stop string ends the text, finish_reason stop")

# --- chat: the template, then the same as generate on the rendered prompt ----------
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
rendered = "system: Be brief.\nuser: Hi\nassistant:"
chat_expect = generate(rendered, "--seed", "3", "--max-tokens", "6")
status, body = request("/v1/chat/completions", {"messages": messages, "max_tokens": 6,
                                                "seed": 3})
check(status == 200 and body["object"] == "chat.completion", "chat %s %s" % (status, body))
message = body["choices"][0]["message"]
check(message == {"role": "assistant", "content": chat_expect},
      "chat message %s, expected %r" % (message, chat_expect))
print("chat: the rendered template's completion, as frond generate gives it")
chunks = stream("/v1/chat/completions", {"messages": messages, "max_tokens": 6, "seed": 3})
check(chunks[0]["choices"][0]["delta"].get("role") == "assistant", "first delta %s" % chunks[0])
text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
check(text == chat_expect and chunks[-1]["choices"][0]["finish_reason"] == "length",
      "chat stream %r" % text)
check(all(c["object"] == "chat.completion.chunk" for c in chunks), "chunk objects")
print("chat stream: role first, same text, then [DONE]")

# --- bad requests: 4xx with a JSON error ---------------------------------------------
bad = [
    ("/v1/completions", None, b"{\"prompt\": ", 400, None, "not valid JSON"),
    ("/v1/completions", None, b"[1, 2]", 400, None, "must be a JSON object"),
    ("/v1/completions", {"max_tokens": 3}, None, 400, "prompt", "needs \"prompt\""),
    ("/v1/chat/completions", {"max_tokens": 3}, None, 400, "messages", "needs \"messages\""),
    ("/v1/chat/completions", {"messages": [{"role": "robot", "content": "x"}]}, None, 400,
     "messages", "role"),
    ("/v1/completions", {"prompt": "x", "temperature": -0.5}, None, 400, "temperature",
     "must be in [0, 2]"),
    ("/v1/completions", {"prompt": "x", "temperature": "hot"}, None, 400, "temperature",
     "must be a number"),
    ("/v1/completions", {"prompt": "x", "top_p": 0}, None, 400, "top_p", "must be in (0, 1]"),
    ("/v1/completions", {"prompt": "x", "top_p": 1.5}, None, 400, "top_p", "must be in (0, 1]"),
    ("/v1/completions", {"prompt": "x", "top_k": -1}, None, 400, "top_k", "at least 0"),
    ("/v1/completions", {"prompt": "x", "max_tokens": 0}, None, 400, "max_tokens",
     "at least 1"),
    ("/v1/completions", {"prompt": "x", "max_tokens": 2.5}, None, 400, "max_tokens",
     "must be an integer"),
    ("/v1/completions", {"prompt": "x", "max_tokens": 1000}, None, 400, "max_tokens",
     "beyond the limit"),
    ("/v1/completions", {"prompt": "x", "n": 2}, None, 400, "n", "n must be 1"),
    ("/v1/completions", {"prompt": "x", "stream": "yes"}, None, 400, "stream", "true or false"),
    ("/v1/completions", {"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, None, 400, "stop",
     "at most 4"),
    ("/v1/completions", {"prompt": "x", "model": "gpt-4"}, None, 404, "model",
     "not served here"),
    ("/v1/nothing", {"prompt": "x"}, None, 404, None, "no endpoint POST /v1/nothing"),
]
for path, body, raw, want, param, words in bad:
    status, answer = request(path, body, raw)
    check(status == want, "%s %s: status %s, expected %s (%s)" % (path, body or raw, status,
                                                                 want, answer))
    check(isinstance(answer, dict) and "error" in answer, "%s: no JSON error: %r" % (path, answer))
    err = answer["error"]
    check(words in err["message"] and err["param"] == param,
          "%s %s: error %s (expected %r, param %s)" % (path, body or raw, err, words, param))
print("bad requests: %d answered 4xx with a JSON error naming the parameter" % len(bad))

# --- 32 concurrent requests: each answer as when asked alone -------------------------
asks = []
for i in range(32):
    p = ["First Citizen:", "All:", "We are accounted poor", "Speak"][i % 4]
    asks.append(({"prompt": p, "max_tokens": 4 + i % 9, "seed": 100 + i,
                  "temperature": 0.9, "top_k": 50}, i % 3 == 0))
serial = [request("/v1/completions", body)[1]["choices"][0]["text"] for body, _ in asks]
answers = [None] * len(asks)


def ask(i):
    body, streamed = asks[i]
    if streamed:
        answers[i] = "".join(c["choices"][0]["text"] for c in stream("/v1/completions", body))
    else:
        answers[i] = request("/v1/completions", body)[1]["choices"][0]["text"]


threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(asks))]
for t in threads:
    t.start()
for t in threads:
    t.join()
wrong = [i for i in range(len(asks)) if answers[i] != serial[i]]
check(not wrong, "concurrent answers differ for %s: %s vs %s" %
      (wrong, [answers[i] for i in wrong], [serial[i] for i in wrong]))
print("concurrency: 32 concurrent requests (a third streamed) answered as when asked alone")

# --- curl -------------------------------------------------------------------------------------
curl = subprocess.run(["curl", "-sS", base + "/v1/completions", "-H",
                       "Content-Type: application/json", "-d",
                       json.dumps({"prompt": prompt, "max_tokens": 10, "seed": 7})],
                      stdout=subprocess.PIPE, check=True)
check(json.loads(curl.stdout)["choices"][0]["text"] == expect, "curl %r" % curl.stdout)
print("curl: the same completion")

# --- SIGTERM: the stream in flight finishes, then exit 0 ------------------------------------
req = urllib.request.Request(base + "/v1/completions",
                             data=json.dumps({"prompt": "All:", "max_tokens": 40,
                                              "stream": True}).encode())
r = urllib.request.urlopen(req, timeout=60)
first = r.readline()
check(first.startswith(b"data: "), "first event %r" % first)
server.send_signal(signal.SIGTERM)
rest = [first] + list(r)
pieces = [line[6:].strip() for line in rest if line.startswith(b"data: ")]
check(pieces[-1] == b"[DONE]", "the stream in flight ends with [DONE]: %r" % pieces[-2:])
finish = json.loads(pieces[-2])["choices"][0]["finish_reason"]
check(finish == "length", "in-flight finish_reason %s" % finish)
code = server.wait(timeout=60)
check(code == 0, "exit status %s after SIGTERM" % code)
time.sleep(0.2)
text = b"".join(log).decode()
check("finishing the requests in flight" in text and "stopped after" in text,
      "shutdown log %r" % text[-300:])
print("sigterm: the stream in flight finished (%d events), exit status 0" % (len(pieces) - 1))
