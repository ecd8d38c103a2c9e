//===- Parser.cpp - ANTLR lexer/parser driver and error reporting --------===//
//
// The only place ANTLR runs. Syntax errors are turned into Frond diagnostics
// by an error listener; any exception the runtime throws is caught here.
// Before parsing, a token pre-scan rejects nesting deeper than kMaxNesting:
// ANTLR's recursive descent (and its recursive parse-tree destructor) would
// otherwise overflow the stack on hostile input.
//
//===----------------------------------------------------------------------===//
#include "frond/lang/Parser.h"
#include "AstBuilder.h"

#include "FrondLexer.h"
#include "FrondParser.h"
#include "antlr4-runtime.h"

#include "llvm/Support/FileSystem.h"

#include <fstream>
#include <iostream>
#include <set>
#include <pthread.h>
#include <sstream>

using namespace frond;

namespace {

/// Quotes a token's text for a message, escaping anything unprintable.
std::string describeToken(const antlr4::Token *tok) {
  if (!tok || tok->getType() == antlr4::Token::EOF)
    return "end of file";
  std::string text = tok->getText(), out;
  if (text.size() > 40)
    text = text.substr(0, 40) + "...";
  for (unsigned char c : text) {
    if (c >= 32 && c < 127)
      out += c;
    else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return "'" + out + "'";
}

/// The tokens the parser could accept, in words: keywords that are also
/// valid names fold into "a name", literals into "a number" / "a string".
std::string describeExpected(antlr4::Parser &parser) {
  antlr4::misc::IntervalSet set = parser.getExpectedTokens();
  const antlr4::dfa::Vocabulary &vocab = parser.getVocabulary();
  bool name = set.contains(static_cast<ssize_t>(FrondLexer::ID));
  std::vector<std::string> words;
  auto add = [&](const std::string &w) {
    if (std::find(words.begin(), words.end(), w) == words.end())
      words.push_back(w);
  };
  // Where an expression may start, say so instead of listing its tokens.
  bool expression = name && set.contains(static_cast<ssize_t>(FrondLexer::INT));
  static const std::set<std::string> starters = {"'('", "'['", "'-'"};
  for (ssize_t t : set.toList()) {
    size_t tok = static_cast<size_t>(t);
    std::string lit = vocab.getLiteralName(t);
    bool keyword = lit.size() > 2 && std::isalpha(static_cast<unsigned char>(lit[1]));
    if (expression && (tok == FrondLexer::ID || keyword || tok == FrondLexer::INT ||
                       tok == FrondLexer::FLOAT || tok == FrondLexer::STRING || starters.count(lit)))
      add("an expression");
    else if (tok == FrondLexer::ID || (name && keyword))
      add("a name");
    else if (tok == FrondLexer::INT || tok == FrondLexer::FLOAT)
      add("a number");
    else if (tok == FrondLexer::STRING)
      add("a string");
    else if (tok == antlr4::Token::EOF)
      add("end of file");
    else if (tok == FrondLexer::ERRCHAR || tok == FrondLexer::WS || tok == FrondLexer::COMMENT)
      continue;
    else
      add(lit.empty() ? vocab.getDisplayName(t) : lit);
  }
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (out.size() > 120) {
      out += ", ...";
      break;
    }
    out += (i ? (i + 1 == words.size() ? " or " : ", ") : "") + words[i];
  }
  return out;
}

/// Collects syntax errors as diagnostics; stops the parse after too many.
class DiagListener : public antlr4::BaseErrorListener {
public:
  DiagListener(DiagEngine &d, std::shared_ptr<const std::string> f)
      : diags(d), file(std::move(f)) {}

  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *tok,
                   size_t line, size_t col, const std::string &,
                   std::exception_ptr) override {
    Loc loc{file, unsigned(line), unsigned(col + 1)};
    auto *parser = dynamic_cast<antlr4::Parser *>(recognizer);
    std::string what = describeToken(tok);
    if (tok && tok->getText() == "\"") {
      auto &d = diags.error(loc, "unterminated string literal");
      d.fix = "close the string with '\"' on the same line";
    } else if (tok && tok->getType() == FrondLexer::ERRCHAR) {
      auto &d = diags.error(loc, "unexpected character " + what);
      d.fix = "remove it; comments start with '#'";
    } else {
      auto &d = diags.error(loc, "syntax error: unexpected " + what);
      if (parser)
        d.expected = describeExpected(*parser);
    }
    if (diags.tooMany())
      throw antlr4::ParseCancellationException("too many errors");
  }

private:
  DiagEngine &diags;
  std::shared_ptr<const std::string> file;
};

/// Rejects input whose nesting would make the recursive parser too deep.
/// Counts brackets and runs of prefix/right-associative operators.
bool checkNesting(antlr4::CommonTokenStream &tokens, DiagEngine &diags,
                  const std::shared_ptr<const std::string> &file) {
  unsigned depth = 0, chain = 0;
  for (antlr4::Token *t : tokens.getTokens()) {
    std::string s = t->getText();
    bool opener = s == "(" || s == "[" || s == "{";
    bool closer = s == ")" || s == "]" || s == "}";
    if (opener)
      ++depth;
    else if (closer && depth > 0)
      --depth;
    // Every operator deepens the parse tree (ANTLR nests left-recursive
    // contexts), so long operator chains count too; they reset at the
    // boundaries of a statement or argument.
    static const std::set<std::string> ops = {
        "+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", ">=", "==",
        "!=", "and", "or", "not", "as", "."};
    static const std::set<std::string> resets = {"=", "+=", "-=", "*=", "{",
                                                 "}", ";", ","};
    if (ops.count(s))
      ++chain;
    else if (resets.count(s))
      chain = 0;
    if (depth + chain / 4 > kMaxNesting) {
      auto &d = diags.error(Loc{file, unsigned(t->getLine()),
                                unsigned(t->getCharPositionInLine() + 1)},
                            "nesting is too deep");
      d.expected = "at most " + std::to_string(kMaxNesting) +
                   " nested brackets or operators";
      d.fix = "split the expression into named intermediate values";
      return false;
    }
  }
  return true;
}

/// Offset of the first byte that is not part of well-formed UTF-8, or npos.
/// ANTLR's input stream would otherwise throw on it.
size_t firstInvalidUtf8(const std::string &s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
               : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
      return i;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return i;
    if (len == 3) {
      unsigned char c1 = s[i + 1];
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
        return i; // Overlong form or a UTF-16 surrogate.
    }
    if (len == 4) {
      unsigned char c1 = s[i + 1];
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
        return i;
    }
    i += len;
  }
  return std::string::npos;
}

} // namespace

std::unique_ptr<ast::Module> frond::parseSpec(const std::string &path,
                                              const std::string &text,
                                              DiagEngine &diags) {
  auto file = diags.addFile(path, text);
  auto module = std::make_unique<ast::Module>();
  module->path = path;
  if (text.size() > kMaxSpecBytes) {
    auto &d = diags.error(Loc{file, 1, 1}, "file is too large to be a spec");
    d.expected = "at most " + std::to_string(kMaxSpecBytes >> 20) + " MiB";
    d.found = std::to_string(text.size()) + " bytes";
    d.fix = "check that the path names a .spec file";
    return module;
  }
  if (text.find('\0') != std::string::npos) {
    size_t at = text.find('\0');
    unsigned line = 1 + std::count(text.begin(), text.begin() + at, '\n');
    auto &d = diags.error(Loc{file, line, 1}, "file contains a NUL byte; it is not a text spec");
    d.fix = "check that the path names a .spec file";
    return module;
  }
  if (size_t bad = firstInvalidUtf8(text); bad != std::string::npos) {
    unsigned line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
    size_t bol = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    unsigned col = bad - (bol == std::string::npos ? 0 : bol + 1) + 1;
    auto &d = diags.error(Loc{file, line, col}, "file is not valid UTF-8 text");
    d.fix = "check that the path names a .spec file, and save it as UTF-8";
    return module;
  }
  try {
    antlr4::ANTLRInputStream input(text);
    FrondLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (!checkNesting(tokens, diags, file))
      return module;
    // Two-stage parse: the fast SLL mode with bail-out succeeds on almost
    // every valid file; only when it fails is the file re-parsed in full LL
    // mode with error recovery, which also produces the diagnostics.
    FrondParser parser(&tokens);
    parser.removeErrorListeners();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    FrondParser::FileContext *tree = nullptr;
    try {
      tree = parser.file();
    } catch (antlr4::ParseCancellationException &) {
      tree = nullptr;
    }
    DiagListener listener(diags, file);
    if (!tree) {
      tokens.seek(0);
      parser.reset();
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
          antlr4::atn::PredictionMode::LL);
      parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
      parser.addErrorListener(&listener);
      tree = parser.file();
    }
    if (!diags.hasErrors())
      buildAst(tree, file, *module, diags);
  } catch (antlr4::ParseCancellationException &) {
    // Too many errors: what was collected is reported.
  } catch (std::exception &e) {
    diags.error(Loc{file, 1, 1}, std::string("internal parser failure: ") + e.what());
  } catch (...) {
    diags.error(Loc{file, 1, 1}, "internal parser failure");
  }
  return module;
}

std::unique_ptr<ast::Module> frond::parseSpecFile(const std::string &path,
                                                  DiagEngine &diags) {
  if (path == "-") { // Standard input.
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return parseSpec("<stdin>", ss.str(), diags);
  }
  if (llvm::sys::fs::is_directory(path)) {
    auto &d = diags.error("'" + path + "' is a directory, not a spec file");
    d.fix = "name a .spec file inside it";
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    auto &d = diags.error("cannot open '" + path + "'");
    d.fix = "check the path; spec files end in .spec";
    return nullptr;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseSpec(path, ss.str(), diags);
}

void frond::runOnLargeStack(const std::function<void()> &fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t(512) << 20);
  pthread_t thread;
  auto *arg = const_cast<std::function<void()> *>(&fn);
  auto trampoline = [](void *p) -> void * {
    (*static_cast<std::function<void()> *>(p))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, trampoline, arg) != 0) {
    fn(); // Could not make a thread: run here rather than not at all.
  } else {
    pthread_join(thread, nullptr);
  }
  pthread_attr_destroy(&attr);
}
