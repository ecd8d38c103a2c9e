//===- Printer.cpp - canonical .spec pretty-printer ----------------------===//
//
// A recursive walk over the AST that appends to one string. Expressions get
// parentheses only where the grammar's precedence and associativity need
// them (see Frond.g4: `as` < or < and < comparisons < + - < * / // % <
// unary - not < ** (right) < postfix call/index/member). Layout: 2-space
// indent, `{` on the opening line, `}` on its own line; an empty body prints
// as "{\n}".
//
//===----------------------------------------------------------------------===//
#include "frond/lang/Printer.h"

#include "llvm/ADT/StringExtras.h"

#include <cstdio>
#include <cstdlib>
#include <map>

using namespace frond;
using namespace frond::ast;
using llvm::cast;
using llvm::dyn_cast;

namespace {

/// Binding strength, loosest first; follows the alternative order of `expr`.
enum Prec { PAs, POr, PAnd, PCmp, PAdd, PMul, PUnary, PPow, PPostfix, PAtom };

Prec binaryPrec(const std::string &op) {
  static const std::map<std::string, Prec> prec = {
      {"**", PPow}, {"*", PMul}, {"/", PMul},   {"//", PMul}, {"%", PMul},
      {"+", PAdd},  {"-", PAdd}, {"and", PAnd}, {"or", POr}};
  auto it = prec.find(op);
  return it == prec.end() ? PCmp : it->second; // < <= > >= == !=
}

/// The shortest decimal spelling of `v` that reads back exactly, always
/// lexed as a FLOAT (for FloatExprs built without source text).
std::string formatFloat(double v) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

std::string quote(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else
      out += std::string(c == '"' || c == '\\' ? "\\" : "") + c;
  }
  return out + "\"";
}

std::string joinDotted(const std::vector<std::string> &parts) {
  return llvm::join(parts, ".");
}

template <typename T>
std::string joinNames(const std::vector<std::pair<std::string, T>> &names) {
  std::string s;
  for (auto &n : names)
    s += (s.empty() ? "" : ", ") + n.first;
  return s;
}

class Printer {
public:
  std::string out;

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  /// How tightly `e` binds as printed (literals with a leading '-' act as a
  /// unary minus).
  static Prec precOf(const Expr &e) {
    switch (e.getKind()) {
    case Expr::Int:
      return cast<IntExpr>(e).value < 0 ? PUnary : PAtom;
    case Expr::Float: {
      auto &f = cast<FloatExpr>(e);
      return (f.text.empty() ? f.value < 0 : f.text[0] == '-') ? PUnary : PAtom;
    }
    case Expr::Call:
    case Expr::Index:
    case Expr::Member:
      return PPostfix;
    case Expr::Unary:
      return PUnary;
    case Expr::Binary:
      return binaryPrec(cast<BinaryExpr>(e).op);
    case Expr::As:
      return PPostfix;
    default:
      return PAtom;
    }
  }

  /// `e` printed, parenthesised when it binds looser than `min`.
  static std::string expr(const Expr &e, Prec min = PAs) {
    std::string s = exprBare(e);
    return precOf(e) < min ? "(" + s + ")" : s;
  }

  static std::string list(const ExprList &es, const char *sep = ", ") {
    std::string s;
    for (size_t i = 0; i < es.size(); ++i)
      s += (i ? sep : "") + expr(*es[i]);
    return s;
  }

  static std::string exprBare(const Expr &e) {
    switch (e.getKind()) {
    case Expr::Int:
      return std::to_string(cast<IntExpr>(e).value);
    case Expr::Float: {
      auto &f = cast<FloatExpr>(e);
      return f.text.empty() ? formatFloat(f.value) : f.text;
    }
    case Expr::Str:
      return quote(cast<StrExpr>(e).value);
    case Expr::Bool:
      return cast<BoolExpr>(e).value ? "true" : "false";
    case Expr::None:
      return "none";
    case Expr::Name:
      return cast<NameExpr>(e).name;
    case Expr::List:
      return "[" + list(cast<ListExpr>(e).elems) + "]";
    case Expr::Call: {
      auto &c = cast<CallExpr>(e);
      std::string s = expr(*c.callee, PPostfix) + "(";
      for (size_t i = 0; i < c.args.size(); ++i)
        s += (i ? ", " : "") +
             (c.args[i].name.empty() ? "" : c.args[i].name + " = ") +
             expr(*c.args[i].value);
      return s + ")";
    }
    case Expr::Index: {
      auto &x = cast<IndexExpr>(e);
      std::string s = expr(*x.base, PPostfix) + "[";
      for (size_t i = 0; i < x.slices.size(); ++i)
        s += (i ? ", " : "") + slice(x.slices[i]);
      return s + "]";
    }
    case Expr::Member: {
      auto &m = cast<MemberExpr>(e);
      // `1.x` would lex as the float `1.` followed by `x`.
      std::string base = llvm::isa<IntExpr>(*m.base)
                             ? "(" + exprBare(*m.base) + ")"
                             : expr(*m.base, PPostfix);
      return base + "." + m.member;
    }
    case Expr::Unary: {
      auto &u = cast<UnaryExpr>(e);
      return (u.op == "not" ? "not " : u.op) + expr(*u.operand, PUnary);
    }
    case Expr::Binary: {
      auto &b = cast<BinaryExpr>(e);
      Prec p = binaryPrec(b.op);
      // `**` is right-associative, and a prefix operator may follow it
      // directly (`a ** -b` parses as `a ** (-b)`); the rest associate left.
      Prec lhs = p, rhs = Prec(p + 1);
      if (p == PPow) {
        lhs = PPostfix;
        rhs = precOf(*b.rhs) == PUnary ? PUnary : PPow;
      }
      return expr(*b.lhs, lhs) + " " + b.op + " " + expr(*b.rhs, rhs);
    }
    case Expr::As: {
      auto &a = cast<AsExpr>(e);
      return expr(*a.value, PPostfix) + " as " + a.name;
    }
    case Expr::Parallel: {
      auto &p = cast<ParallelExpr>(e);
      return "parallel { " + list(p.branches, "; ") +
             (p.branches.empty() ? "}" : " }");
    }
    }
    return "";
  }

  static std::string slice(const Slice &s) {
    if (s.kind == Slice::Ellipsis)
      return "...";
    std::string lo = s.lo ? expr(*s.lo) : "";
    if (s.kind == Slice::Single)
      return lo;
    return lo + ":" + (s.hi ? expr(*s.hi) : "");
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  void line(unsigned depth) { out.append(2 * depth, ' '); }

  /// Appends " {", the statements one level deeper, and the closing "}".
  void body(const Body &b, unsigned depth) {
    out += " {\n";
    for (auto &s : b)
      stmt(*s, depth + 1);
    line(depth);
    out += "}";
  }

  static std::string maskDef(const MaskDefStmt &m) {
    return (m.isScore ? "score " : "mask ") + m.name + "(" +
           joinNames(m.params) + ") = " + expr(*m.body);
  }

  static std::string adapter(const AdapterStmt &a) {
    return "adapter " + a.name + " at " + joinDotted(a.target) + " = " +
           expr(*a.value);
  }

  /// Appends an if statement from its `if` keyword (already indented); an
  /// else body holding exactly one if statement prints as `else if`.
  void ifChain(const IfStmt &s, unsigned depth) {
    out += "if " + expr(*s.cond);
    body(s.thenBody, depth);
    if (s.elseBody.empty())
      return;
    out += " else";
    if (s.elseBody.size() == 1)
      if (auto *elif = dyn_cast<IfStmt>(s.elseBody[0].get())) {
        out += ' ';
        return ifChain(*elif, depth);
      }
    body(s.elseBody, depth);
  }

  void stmt(const Stmt &st, unsigned depth) {
    line(depth);
    switch (st.getKind()) {
    case Stmt::Input: {
      auto &ins = cast<InputStmt>(st).inputs;
      for (size_t i = 0; i < ins.size(); ++i) {
        out += (i ? ", " : "input ") + ins[i].name + "[" +
               joinNames(ins[i].dims) + "]";
        if (!ins[i].type.empty() && ins[i].type != "int")
          out += ": " + ins[i].type;
      }
      break;
    }
    case Stmt::Param: {
      auto &p = cast<ParamStmt>(st);
      out += "param " + p.name + "[" + list(p.shape) + "]";
      if (p.init)
        out += " = " + expr(*p.init);
      break;
    }
    case Stmt::MaskDef:
      out += maskDef(cast<MaskDefStmt>(st));
      break;
    case Stmt::Repeat: {
      auto &r = cast<RepeatStmt>(st);
      out += (r.shared ? "recur " : "repeat ") + expr(*r.count);
      if (!r.label.empty())
        out += " as " + r.label;
      body(r.body, depth);
      break;
    }
    case Stmt::If:
      ifChain(cast<IfStmt>(st), depth);
      break;
    case Stmt::Head: {
      auto &h = cast<HeadStmt>(st);
      out += "head " + h.name + " = " + expr(*h.value);
      if (h.link == HeadStmt::Tied)
        out += " tied " + h.linkTarget;
      else if (h.link == HeadStmt::InitFrom)
        out += " init from " + h.linkTarget;
      break;
    }
    case Stmt::Loss: {
      auto &l = cast<LossStmt>(st);
      out +=
          (l.name.empty() ? "loss" : "loss " + l.name) + " = " + expr(*l.value);
      break;
    }
    case Stmt::Cache:
      out += "cache " + joinNames(cast<CacheStmt>(st).kinds);
      break;
    case Stmt::Return:
      out += "return " + expr(*cast<ReturnStmt>(st).value);
      break;
    case Stmt::Adapter:
      out += adapter(cast<AdapterStmt>(st));
      break;
    case Stmt::Assign: {
      auto &a = cast<AssignStmt>(st);
      out += a.name + " " + a.op + " " + expr(*a.value);
      break;
    }
    }
    out += '\n';
  }

  //===--------------------------------------------------------------------===//
  // Experiment settings
  //===--------------------------------------------------------------------===//

  /// Appends " {", the settings one level deeper, and the closing "}".
  void settings(const std::vector<Setting> &ss, unsigned depth) {
    out += " {\n";
    bool afterExpr = false; // The previous line ends with an expression.
    for (auto &s : ss) {
      size_t start = out.size();
      setting(s, depth + 1);
      // A bare `[x]`, `-x` or `(a + b) * c` on its own line would continue
      // the previous line's expression when reparsed: end that line with `;`.
      if (s.kind == Setting::Bare && afterExpr) {
        char c = out[start + 2 * (depth + 1)];
        if (c == '(' || c == '[' || c == '-')
          out.insert(start - 1, ";");
      }
      afterExpr = s.kind == Setting::Key || s.kind == Setting::Sweep ||
                  s.kind == Setting::Adapter || s.kind == Setting::Bare;
    }
    line(depth);
    out += "}";
  }

  void setting(const Setting &s, unsigned depth) {
    line(depth);
    switch (s.kind) {
    case Setting::Key:
      out += joinDotted(s.key) + " = " + expr(*s.value);
      break;
    case Setting::Section:
    case Setting::Variant:
      out += (s.kind == Setting::Variant ? "variant " : "") + joinDotted(s.key);
      settings(s.children, depth);
      break;
    case Setting::Sweep:
      out += "sweep " + joinDotted(s.key) + " in " + expr(*s.value);
      break;
    case Setting::Group:
      out += "group " + joinDotted(s.key) + "(" + list(s.patterns) + ")";
      settings(s.children, depth);
      break;
    case Setting::Adapter:
      out += adapter(*s.adapter);
      break;
    case Setting::Bare:
      out += expr(*s.value);
      break;
    }
    out += '\n';
  }

  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  void func(const char *kw, const Decl &d, const FuncDecl &f) {
    out += kw + d.name + "(";
    for (size_t i = 0; i < f.params.size(); ++i) {
      auto &p = f.params[i];
      out += (i ? ", " : "") + p.name;
      if (p.defaultValue)
        out += " = " + expr(*p.defaultValue);
    }
    out += ')';
    body(f.body, 0);
  }

  void decl(const Decl &d) {
    switch (d.getKind()) {
    case Decl::Import: {
      auto &i = cast<ImportDecl>(d);
      out += "import " + joinDotted(i.path);
      if (!i.names.empty())
        out += ".{" + joinNames(i.names) + "}";
      break;
    }
    case Decl::Model:
      func("model ", d, cast<ModelDecl>(d));
      break;
    case Decl::Block:
      func("block ", d, cast<BlockDecl>(d));
      break;
    case Decl::MaskDef:
      out += maskDef(*cast<MaskDecl>(d).def);
      break;
    case Decl::Let:
      out += "let " + d.name + " = " + expr(*cast<LetDecl>(d).value);
      break;
    case Decl::Experiment:
      out += "experiment " + d.name;
      settings(cast<ExperimentDecl>(d).settings, 0);
      break;
    }
    out += '\n';
  }

  void module(const Module &m) {
    const Decl *prev = nullptr;
    for (auto &d : m.decls) {
      if (prev && !(llvm::isa<ImportDecl>(prev) && llvm::isa<ImportDecl>(*d)))
        out += '\n';
      decl(*d);
      prev = d.get();
    }
  }
};

} // namespace

std::string frond::printModule(const Module &m) {
  Printer p;
  p.module(m);
  return std::move(p.out);
}

std::string frond::printExpr(const Expr &e) { return Printer::expr(e); }
