//===- AstBuilder.cpp - ANTLR parse tree to Frond AST --------------------===//
//
// A direct walk over the labelled alternatives of Frond.g4 (dynamic_cast on
// the generated contexts). Nothing here outlives the parse tree.
//
//===----------------------------------------------------------------------===//
#include "AstBuilder.h"

#include <cerrno>
#include <cstdlib>

using namespace frond;
using namespace frond::ast;
using P = FrondParser;

namespace {

class Builder {
public:
  Builder(std::shared_ptr<const std::string> f, DiagEngine &d)
      : file(std::move(f)), diags(d) {}

  Loc loc(antlr4::Token *t) {
    return Loc{file, unsigned(t->getLine()),
               unsigned(t->getCharPositionInLine() + 1)};
  }
  Loc loc(antlr4::ParserRuleContext *c) { return loc(c->getStart()); }
  Loc loc(antlr4::tree::TerminalNode *n) { return loc(n->getSymbol()); }

  void file_(P::FileContext *ctx, Module &m) {
    for (auto *d : ctx->decl())
      if (auto decl = build(d))
        m.decls.push_back(std::move(decl));
  }

  DeclPtr build(P::DeclContext *ctx) {
    if (auto *c = ctx->importDecl()) {
      auto d = std::make_unique<ImportDecl>(loc(c));
      for (auto *id : c->dotted()->name())
        d->path.push_back(id->getText());
      for (auto *id : c->ID())
        d->names.push_back({id->getText(), loc(id)});
      d->name = joined(d->path);
      return d;
    }
    if (auto *c = ctx->modelDecl()) {
      auto d = std::make_unique<ModelDecl>(loc(c->ID()));
      d->name = c->ID()->getText();
      params(c->paramList(), d->params);
      body(c->body(), d->body);
      return d;
    }
    if (auto *c = ctx->blockDecl()) {
      auto d = std::make_unique<BlockDecl>(loc(c->ID()));
      d->name = c->ID()->getText();
      params(c->paramList(), d->params);
      body(c->body(), d->body);
      return d;
    }
    if (auto *c = ctx->maskDecl())
      return std::make_unique<MaskDecl>(maskDef(c->ID(), c->idList(), c->expr(), false));
    if (auto *c = ctx->scoreDecl())
      return std::make_unique<MaskDecl>(maskDef(c->ID(), c->idList(), c->expr(), true));
    if (auto *c = ctx->letDecl()) {
      auto d = std::make_unique<LetDecl>(loc(c->ID()));
      d->name = c->ID()->getText();
      d->value = expr(c->expr());
      return d;
    }
    if (auto *c = ctx->experimentDecl()) {
      auto d = std::make_unique<ExperimentDecl>(loc(c->ID()));
      d->name = c->ID()->getText();
      for (auto *s : c->setting())
        settingInto(s, d->settings);
      return d;
    }
    return nullptr; // A bare separator.
  }

  static std::string joined(const std::vector<std::string> &parts) {
    std::string s;
    for (auto &p : parts)
      s += (s.empty() ? "" : ".") + p;
    return s;
  }

  std::unique_ptr<MaskDefStmt> maskDef(antlr4::tree::TerminalNode *id,
                                       P::IdListContext *ids, P::ExprContext *e,
                                       bool isScore) {
    auto m = std::make_unique<MaskDefStmt>(loc(id));
    m->isScore = isScore;
    m->name = id->getText();
    for (auto *p : ids->ID())
      m->params.push_back({p->getText(), loc(p)});
    m->body = expr(e);
    return m;
  }

  void params(P::ParamListContext *ctx, std::vector<ParamDecl> &out) {
    if (!ctx)
      return;
    for (auto *p : ctx->param())
      out.push_back({p->name()->getText(), loc(p->name()),
                     p->expr() ? expr(p->expr()) : nullptr});
  }

  void body(P::BodyContext *ctx, Body &out) {
    for (auto *s : ctx->stmt())
      if (auto st = stmt(s))
        out.push_back(std::move(st));
  }

  StmtPtr stmt(P::StmtContext *ctx) {
    if (auto *c = dynamic_cast<P::InputStmtContext *>(ctx)) {
      auto s = std::make_unique<InputStmt>(loc(c));
      for (auto *in : c->inputDecl()) {
        InputDecl d;
        d.name = in->ID(0)->getText();
        d.loc = loc(in->ID(0));
        for (auto *dim : in->idList()->ID())
          d.dims.push_back({dim->getText(), loc(dim)});
        d.type = in->ID().size() > 1 ? in->ID(1)->getText() : "int";
        s->inputs.push_back(std::move(d));
      }
      return s;
    }
    if (auto *c = dynamic_cast<P::ParamStmtContext *>(ctx)) {
      auto s = std::make_unique<ParamStmt>(loc(c->ID()));
      s->name = c->ID()->getText();
      for (auto *e : c->exprList()->expr())
        s->shape.push_back(expr(e));
      if (c->expr())
        s->init = expr(c->expr());
      return s;
    }
    if (auto *c = dynamic_cast<P::MaskStmtContext *>(ctx)) {
      auto *m = c->maskDecl();
      return maskDef(m->ID(), m->idList(), m->expr(), false);
    }
    if (auto *c = dynamic_cast<P::ScoreStmtContext *>(ctx)) {
      auto *m = c->scoreDecl();
      return maskDef(m->ID(), m->idList(), m->expr(), true);
    }
    if (auto *c = dynamic_cast<P::RepeatStmtContext *>(ctx)) {
      auto s = std::make_unique<RepeatStmt>(loc(c));
      s->shared = c->kw->getText() == "recur";
      s->count = expr(c->expr());
      // `repeat n as label`: the grammar parses the label as an asExpr at
      // the right end of the count (`2 * n as layer` is `2 * (n as layer)`).
      ExprPtr *end = &s->count;
      while (auto *b = llvm::dyn_cast<BinaryExpr>(end->get()))
        end = &b->rhs;
      if (auto *as = llvm::dyn_cast<AsExpr>(end->get())) {
        s->label = as->name;
        ExprPtr inner = std::move(as->value);
        *end = std::move(inner);
      }
      body(c->body(), s->body);
      return s;
    }
    if (auto *c = dynamic_cast<P::IfStmtAltContext *>(ctx))
      return ifStmt(loc(c), c->expr(), c->body(), c->ifStmt());
    if (auto *c = dynamic_cast<P::HeadStmtContext *>(ctx)) {
      auto s = std::make_unique<HeadStmt>(loc(c->ID()));
      s->name = c->ID()->getText();
      s->value = expr(c->expr());
      if (auto *l = c->headLink()) {
        s->link = l->getStart()->getText() == "tied" ? HeadStmt::Tied
                                                     : HeadStmt::InitFrom;
        s->linkTarget = l->ID()->getText();
        s->linkLoc = loc(l->ID());
      }
      return s;
    }
    if (auto *c = dynamic_cast<P::LossStmtContext *>(ctx)) {
      auto s = std::make_unique<LossStmt>(loc(c));
      if (c->ID())
        s->name = c->ID()->getText();
      s->value = expr(c->expr());
      return s;
    }
    if (auto *c = dynamic_cast<P::CacheStmtContext *>(ctx)) {
      auto s = std::make_unique<CacheStmt>(loc(c));
      for (auto *id : c->ID())
        s->kinds.push_back({id->getText(), loc(id)});
      return s;
    }
    if (auto *c = dynamic_cast<P::ReturnStmtContext *>(ctx)) {
      auto s = std::make_unique<ReturnStmt>(loc(c));
      s->value = expr(c->expr());
      return s;
    }
    if (auto *c = dynamic_cast<P::AdapterStmtContext *>(ctx))
      return adapter(c->adapterDecl());
    if (auto *c = dynamic_cast<P::AssignStmtContext *>(ctx)) {
      auto s = std::make_unique<AssignStmt>(loc(c->ID()));
      s->name = c->ID()->getText();
      s->op = c->op->getText();
      s->value = expr(c->expr());
      return s;
    }
    return nullptr; // A bare separator.
  }

  StmtPtr ifStmt(Loc l, P::ExprContext *cond, std::vector<P::BodyContext *> bodies,
                 P::IfStmtContext *elseIf) {
    auto s = std::make_unique<IfStmt>(l);
    s->cond = expr(cond);
    body(bodies[0], s->thenBody);
    if (bodies.size() > 1)
      body(bodies[1], s->elseBody);
    else if (elseIf)
      s->elseBody.push_back(
          ifStmt(loc(elseIf), elseIf->expr(), elseIf->body(), elseIf->ifStmt()));
    return s;
  }

  std::unique_ptr<AdapterStmt> adapter(P::AdapterDeclContext *c) {
    auto s = std::make_unique<AdapterStmt>(loc(c->ID()));
    s->name = c->ID()->getText();
    for (auto *id : c->dotted()->name())
      s->target.push_back(id->getText());
    s->targetLoc = loc(c->dotted());
    s->value = expr(c->expr());
    return s;
  }

  void settingInto(P::SettingContext *ctx, std::vector<Setting> &out) {
    Setting s;
    s.loc = loc(ctx);
    auto children = [&](std::vector<P::SettingContext *> cs) {
      for (auto *c : cs)
        settingInto(c, s.children);
    };
    if (auto *c = dynamic_cast<P::KeySettingContext *>(ctx)) {
      s.kind = Setting::Key;
      for (auto *id : c->dotted()->name())
        s.key.push_back(id->getText());
      s.value = expr(c->expr());
    } else if (auto *c = dynamic_cast<P::SectionSettingContext *>(ctx)) {
      s.kind = Setting::Section;
      s.key = {c->ID()->getText()};
      children(c->setting());
    } else if (auto *c = dynamic_cast<P::VariantSettingContext *>(ctx)) {
      s.kind = Setting::Variant;
      s.key = {c->name()->getText()};
      s.loc = loc(c->name());
      children(c->setting());
    } else if (auto *c = dynamic_cast<P::SweepSettingContext *>(ctx)) {
      s.kind = Setting::Sweep;
      for (auto *id : c->dotted()->name())
        s.key.push_back(id->getText());
      s.value = expr(c->expr());
    } else if (auto *c = dynamic_cast<P::GroupSettingContext *>(ctx)) {
      s.kind = Setting::Group;
      s.key = {c->ID()->getText()};
      for (auto *e : c->exprList()->expr())
        s.patterns.push_back(expr(e));
      children(c->setting());
    } else if (auto *c = dynamic_cast<P::AdapterSettingContext *>(ctx)) {
      s.kind = Setting::Adapter;
      s.adapter = adapter(c->adapterDecl());
    } else if (auto *c = dynamic_cast<P::BareSettingContext *>(ctx)) {
      s.kind = Setting::Bare;
      s.value = expr(c->expr());
    } else {
      return; // Separator.
    }
    out.push_back(std::move(s));
  }

  ExprPtr expr(P::ExprContext *ctx) {
    if (auto *c = dynamic_cast<P::PrimaryExprContext *>(ctx))
      return primary(c->primary());
    if (auto *c = dynamic_cast<P::CallExprContext *>(ctx)) {
      std::vector<Arg> args;
      if (auto *al = c->argList())
        for (auto *a : al->arg())
          args.push_back({a->name() ? a->name()->getText() : "", loc(a), expr(a->expr())});
      return std::make_unique<CallExpr>(loc(c), expr(c->expr()), std::move(args));
    }
    if (auto *c = dynamic_cast<P::IndexExprContext *>(ctx)) {
      std::vector<Slice> slices;
      for (auto *sc : c->sliceList()->slice())
        slices.push_back(slice(sc));
      // Locate an index at its '[' so errors point at the subscript.
      Loc l = loc(c);
      if (auto *t = dynamic_cast<antlr4::tree::TerminalNode *>(c->children[1]))
        l = loc(t);
      return std::make_unique<IndexExpr>(l, expr(c->expr()), std::move(slices));
    }
    if (auto *c = dynamic_cast<P::MemberExprContext *>(ctx))
      return std::make_unique<MemberExpr>(loc(c->name()), expr(c->expr()), c->name()->getText());
    if (auto *c = dynamic_cast<P::PowExprContext *>(ctx))
      return binary(c, "**", c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::UnaryExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(loc(c), c->op->getText(), expr(c->expr()));
    if (auto *c = dynamic_cast<P::MulExprContext *>(ctx))
      return binary(c, c->op->getText(), c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::AddExprContext *>(ctx))
      return binary(c, c->op->getText(), c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::CmpExprContext *>(ctx))
      return binary(c, c->op->getText(), c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::AndExprContext *>(ctx))
      return binary(c, "and", c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::OrExprContext *>(ctx))
      return binary(c, "or", c->expr(0), c->expr(1));
    if (auto *c = dynamic_cast<P::AsExprContext *>(ctx))
      return std::make_unique<AsExpr>(loc(c->name()), expr(c->expr()), c->name()->getText());
    return std::make_unique<NoneExpr>(loc(ctx));
  }

  ExprPtr binary(antlr4::ParserRuleContext *c, std::string op, P::ExprContext *a,
                 P::ExprContext *b) {
    // Binary expressions are located at their operator.
    Loc l = loc(c);
    if (c->children.size() >= 2)
      if (auto *t = dynamic_cast<antlr4::tree::TerminalNode *>(c->children[1]))
        l = loc(t);
    return std::make_unique<BinaryExpr>(l, std::move(op), expr(a), expr(b));
  }

  Slice slice(P::SliceContext *c) {
    Slice s;
    s.loc = loc(c);
    if (c->getText() == "...") {
      s.kind = Slice::Ellipsis;
      return s;
    }
    bool colon = false;
    for (auto *child : c->children) {
      if (auto *e = dynamic_cast<P::ExprContext *>(child))
        (colon ? s.hi : s.lo) = expr(e);
      else if (child->getText() == ":")
        colon = true;
    }
    s.kind = colon ? Slice::Range : Slice::Single;
    return s;
  }

  ExprPtr primary(P::PrimaryContext *c) {
    Loc l = loc(c);
    if (auto *t = c->INT()) {
      errno = 0;
      long long v = std::strtoll(t->getText().c_str(), nullptr, 10);
      if (errno == ERANGE) {
        auto &d = diags.error(l, "integer literal is too large");
        d.expected = "a value below 2^63";
        d.found = t->getText();
      }
      return std::make_unique<IntExpr>(l, v);
    }
    if (auto *t = c->FLOAT())
      return std::make_unique<FloatExpr>(l, std::strtod(t->getText().c_str(), nullptr), t->getText());
    if (auto *t = c->STRING())
      return std::make_unique<StrExpr>(l, unescape(t->getText()));
    if (auto *t = c->ident())
      return std::make_unique<NameExpr>(l, t->getText());
    std::string first = c->getStart()->getText();
    if (first == "true" || first == "false")
      return std::make_unique<BoolExpr>(l, first == "true");
    if (first == "none")
      return std::make_unique<NoneExpr>(l);
    if (first == "(")
      return expr(c->expr(0));
    if (first == "[") {
      ExprList elems;
      if (auto *el = c->exprList())
        for (auto *e : el->expr())
          elems.push_back(expr(e));
      return std::make_unique<ListExpr>(l, std::move(elems));
    }
    ExprList branches; // parallel { ... }
    for (auto *e : c->expr())
      branches.push_back(expr(e));
    return std::make_unique<ParallelExpr>(l, std::move(branches));
  }

  static std::string unescape(const std::string &quoted) {
    std::string out;
    for (size_t i = 1; i + 1 < quoted.size(); ++i) {
      char ch = quoted[i];
      if (ch == '\\' && i + 2 < quoted.size()) {
        char n = quoted[++i];
        out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
      } else {
        out += ch;
      }
    }
    return out;
  }

private:
  std::shared_ptr<const std::string> file;
  DiagEngine &diags;
};

} // namespace

void frond::buildAst(FrondParser::FileContext *tree,
                     std::shared_ptr<const std::string> file, Module &module,
                     DiagEngine &diags) {
  Builder(std::move(file), diags).file_(tree, module);
}

std::string CallExpr::calleeName() const {
  std::string suffix;
  const Expr *e = callee.get();
  while (auto *m = llvm::dyn_cast<MemberExpr>(e)) {
    suffix = "." + m->member + suffix;
    e = m->base.get();
  }
  if (auto *n = llvm::dyn_cast<NameExpr>(e))
    return n->name + suffix;
  return "";
}

std::string Setting::keyString() const {
  std::string s;
  for (auto &k : key)
    s += (s.empty() ? "" : ".") + k;
  return s;
}
