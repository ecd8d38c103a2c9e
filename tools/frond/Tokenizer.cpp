//===- Tokenizer.cpp - byte and id tokenizers for prompts ----------------===//
#include "Tokenizer.h"

#include <cstdlib>

using namespace frond::gen;

Tokenizer Tokenizer::forData(const std::string &dataSetting, int64_t vocab) {
  Tokenizer t;
  t.vocab_ = vocab;
  bool text = dataSetting.rfind("text(", 0) == 0;
  bool task = !dataSetting.empty() && !text;
  t.kind_ = text || (!task && vocab >= 256) ? Kind::Bytes : Kind::Ids;
  return t;
}

bool Tokenizer::encode(const std::string &text, std::vector<int64_t> &tokens,
                       std::string &error) const {
  tokens.clear();
  if (kind_ == Kind::Bytes) {
    for (size_t i = 0; i < text.size(); ++i) {
      int64_t b = (unsigned char)text[i];
      if (b >= vocab_) {
        error = "byte " + std::to_string(b) + " at offset " + std::to_string(i) +
                " of the prompt is outside the model's vocabulary of " +
                std::to_string(vocab_) + " tokens; fix: use characters below " +
                std::to_string(vocab_);
        return false;
      }
      tokens.push_back(b);
    }
    return true;
  }
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ','))
      ++i;
    if (i == text.size())
      break;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != ',')
      ++j;
    std::string word = text.substr(i, j - i);
    char *end = nullptr;
    long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end || v < 0 || v >= vocab_) {
      error = "'" + word + "' in the prompt is not a token id in [0, " +
              std::to_string(vocab_) + "); fix: this experiment's data are token ids, so "
              "write the prompt as ids separated by spaces, e.g. \"3 17 5\"";
      return false;
    }
    tokens.push_back(v);
    i = j;
  }
  return true;
}

std::string Tokenizer::decode(int64_t token) const {
  if (kind_ == Kind::Bytes)
    return std::string(1, char(token));
  return " " + std::to_string(token);
}

std::string Tokenizer::describe() const {
  return std::string(kind_ == Kind::Bytes ? "byte tokens" : "token ids") + " (vocab " +
         std::to_string(vocab_) + ")";
}

size_t frond::gen::incompleteUtf8Tail(const std::string &text) {
  // Look back over at most 3 continuation bytes for the lead byte.
  size_t n = text.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    unsigned char c = (unsigned char)text[n - back];
    if ((c & 0xC0) == 0x80)
      continue; // a continuation byte
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}
