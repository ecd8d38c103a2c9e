//===- Ast.h - Frond's own syntax tree -------------------------*- C++ -*-===//
//
// The AST of a .spec file. Built from ANTLR's parse tree in AstBuilder.cpp;
// everything after lang/'s parser works on these nodes only. Nodes use
// LLVM-style RTTI (`classof` + llvm::dyn_cast) as the Toy tutorial does.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Location.h"

#include "llvm/Support/Casting.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace frond::ast {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum Kind { Int, Float, Str, Bool, None, Name, List, Call, Index, Member,
              Unary, Binary, As, Parallel };
  Expr(Kind k, Loc loc) : loc(loc), kind(k) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  const Loc loc;

private:
  const Kind kind;
};
using ExprPtr = std::unique_ptr<Expr>;
using ExprList = std::vector<ExprPtr>;

template <Expr::Kind K> struct ExprBase : Expr {
  explicit ExprBase(Loc l) : Expr(K, l) {}
  static bool classof(const Expr *e) { return e->getKind() == K; }
};

struct IntExpr : ExprBase<Expr::Int> {
  IntExpr(Loc l, long long v) : ExprBase(l), value(v) {}
  long long value;
};
struct FloatExpr : ExprBase<Expr::Float> {
  FloatExpr(Loc l, double v, std::string text)
      : ExprBase(l), value(v), text(std::move(text)) {}
  double value;
  std::string text; ///< Spelling as written, so printing round-trips.
};
struct StrExpr : ExprBase<Expr::Str> {
  StrExpr(Loc l, std::string v) : ExprBase(l), value(std::move(v)) {}
  std::string value; ///< Unescaped contents.
};
struct BoolExpr : ExprBase<Expr::Bool> {
  BoolExpr(Loc l, bool v) : ExprBase(l), value(v) {}
  bool value;
};
struct NoneExpr : ExprBase<Expr::None> {
  using ExprBase::ExprBase;
};
struct NameExpr : ExprBase<Expr::Name> {
  NameExpr(Loc l, std::string n) : ExprBase(l), name(std::move(n)) {}
  std::string name;
};
struct ListExpr : ExprBase<Expr::List> {
  ListExpr(Loc l, ExprList e) : ExprBase(l), elems(std::move(e)) {}
  ExprList elems;
};
struct Arg {
  std::string name; ///< Empty for a positional argument.
  Loc loc;
  ExprPtr value;
};
struct CallExpr : ExprBase<Expr::Call> {
  CallExpr(Loc l, ExprPtr c, std::vector<Arg> a)
      : ExprBase(l), callee(std::move(c)), args(std::move(a)) {}
  ExprPtr callee;
  std::vector<Arg> args;
  /// The callee's name when it is a plain or dotted name ("task.copy").
  std::string calleeName() const;
};
struct Slice {
  enum Kind { Single, Range, Ellipsis } kind = Single;
  Loc loc;
  ExprPtr lo, hi; ///< Single uses lo; Range may leave either empty.
};
struct IndexExpr : ExprBase<Expr::Index> {
  IndexExpr(Loc l, ExprPtr b, std::vector<Slice> s)
      : ExprBase(l), base(std::move(b)), slices(std::move(s)) {}
  ExprPtr base;
  std::vector<Slice> slices;
};
struct MemberExpr : ExprBase<Expr::Member> {
  MemberExpr(Loc l, ExprPtr b, std::string m)
      : ExprBase(l), base(std::move(b)), member(std::move(m)) {}
  ExprPtr base;
  std::string member;
};
struct UnaryExpr : ExprBase<Expr::Unary> {
  UnaryExpr(Loc l, std::string o, ExprPtr e)
      : ExprBase(l), op(std::move(o)), operand(std::move(e)) {}
  std::string op; ///< "-" or "not"
  ExprPtr operand;
};
struct BinaryExpr : ExprBase<Expr::Binary> {
  BinaryExpr(Loc l, std::string o, ExprPtr a, ExprPtr b)
      : ExprBase(l), op(std::move(o)), lhs(std::move(a)), rhs(std::move(b)) {}
  std::string op;
  ExprPtr lhs, rhs;
};
/// `expr as name`: names a value (a point adapters can attach to) and the
/// parameter scope of the call that produces it.
struct AsExpr : ExprBase<Expr::As> {
  AsExpr(Loc l, ExprPtr e, std::string n)
      : ExprBase(l), value(std::move(e)), name(std::move(n)) {}
  ExprPtr value;
  std::string name;
};
/// `parallel { a; b }`: branches on the same inputs, summed.
struct ParallelExpr : ExprBase<Expr::Parallel> {
  ParallelExpr(Loc l, ExprList b) : ExprBase(l), branches(std::move(b)) {}
  ExprList branches;
};

//===----------------------------------------------------------------------===//
// Statements (model and block bodies)
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum Kind { Input, Param, MaskDef, Repeat, If, Head, Loss, Cache, Return,
              Adapter, Assign };
  Stmt(Kind k, Loc loc) : loc(loc), kind(k) {}
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  const Loc loc;

private:
  const Kind kind;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

template <Stmt::Kind K> struct StmtBase : Stmt {
  explicit StmtBase(Loc l) : Stmt(K, l) {}
  static bool classof(const Stmt *s) { return s->getKind() == K; }
};

struct InputDecl {
  std::string name;
  Loc loc;
  std::vector<std::pair<std::string, Loc>> dims;
  std::string type; ///< "int" (default), "float" or "bool".
};
struct InputStmt : StmtBase<Stmt::Input> {
  using StmtBase::StmtBase;
  std::vector<InputDecl> inputs;
};
/// `param name[shape] = init`: a learnable tensor declared by hand.
struct ParamStmt : StmtBase<Stmt::Param> {
  using StmtBase::StmtBase;
  std::string name;
  ExprList shape;
  ExprPtr init; ///< May be null (default initialiser).
};
/// `mask name(b, h, q, k) = expr` or `score name(s, b, h, q, k) = expr`, at
/// top level or inside a model.
struct MaskDefStmt : StmtBase<Stmt::MaskDef> {
  using StmtBase::StmtBase;
  bool isScore = false;
  std::string name;
  std::vector<std::pair<std::string, Loc>> params;
  ExprPtr body;
};
/// `repeat n as label { }` (separate weights) or `recur n { }` (shared).
struct RepeatStmt : StmtBase<Stmt::Repeat> {
  using StmtBase::StmtBase;
  bool shared = false;
  ExprPtr count;
  std::string label; ///< Empty when not given.
  Body body;
};
struct IfStmt : StmtBase<Stmt::If> {
  using StmtBase::StmtBase;
  ExprPtr cond;
  Body thenBody, elseBody;
};
struct HeadStmt : StmtBase<Stmt::Head> {
  using StmtBase::StmtBase;
  enum Link { None, Tied, InitFrom } link = None;
  std::string name, linkTarget;
  Loc linkLoc;
  ExprPtr value;
};
struct LossStmt : StmtBase<Stmt::Loss> {
  using StmtBase::StmtBase;
  std::string name; ///< Empty for the total loss.
  ExprPtr value;
};
struct CacheStmt : StmtBase<Stmt::Cache> {
  using StmtBase::StmtBase;
  std::vector<std::pair<std::string, Loc>> kinds;
};
struct ReturnStmt : StmtBase<Stmt::Return> {
  using StmtBase::StmtBase;
  ExprPtr value;
};
/// `adapter name at point.path = block(args)`: the value at the point becomes
/// block(value, args).
struct AdapterStmt : StmtBase<Stmt::Adapter> {
  using StmtBase::StmtBase;
  std::string name;
  std::vector<std::string> target;
  Loc targetLoc;
  ExprPtr value;
};
struct AssignStmt : StmtBase<Stmt::Assign> {
  using StmtBase::StmtBase;
  std::string name;
  std::string op; ///< "=", "+=", "-=", "*="
  ExprPtr value;
};

//===----------------------------------------------------------------------===//
// Experiment settings
//===----------------------------------------------------------------------===//

struct Setting {
  enum Kind { Key, Section, Variant, Sweep, Group, Adapter, Bare } kind;
  Loc loc;
  std::vector<std::string> key; ///< Key/Sweep: dotted key. Section/Variant/Group: {name}.
  ExprPtr value;                ///< Key, Sweep, Bare.
  ExprList patterns;            ///< Group.
  std::vector<Setting> children;
  std::unique_ptr<AdapterStmt> adapter;
  std::string keyString() const;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

struct ParamDecl {
  std::string name;
  Loc loc;
  ExprPtr defaultValue; ///< Null: must be given by the caller.
};

class Decl {
public:
  enum Kind { Import, Model, Block, MaskDef, Let, Experiment };
  Decl(Kind k, Loc loc) : loc(loc), kind(k) {}
  virtual ~Decl() = default;
  Kind getKind() const { return kind; }
  const Loc loc;
  std::string name;

private:
  const Kind kind;
};
using DeclPtr = std::unique_ptr<Decl>;

template <Decl::Kind K> struct DeclBase : Decl {
  explicit DeclBase(Loc l) : Decl(K, l) {}
  static bool classof(const Decl *d) { return d->getKind() == K; }
};

/// `import std.masks.{causal, prefix_lm}` or `import helpers`.
struct ImportDecl : DeclBase<Decl::Import> {
  using DeclBase::DeclBase;
  std::vector<std::string> path;
  std::vector<std::pair<std::string, Loc>> names; ///< Empty: everything.
};
/// `model` and `block` share a shape: parameters and a body.
struct FuncDecl {
  std::vector<ParamDecl> params;
  Body body;
};
struct ModelDecl : DeclBase<Decl::Model>, FuncDecl {
  using DeclBase::DeclBase;
};
struct BlockDecl : DeclBase<Decl::Block>, FuncDecl {
  using DeclBase::DeclBase;
};
struct MaskDecl : DeclBase<Decl::MaskDef> {
  explicit MaskDecl(std::unique_ptr<MaskDefStmt> d)
      : DeclBase(d->loc), def(std::move(d)) {
    name = def->name;
  }
  std::unique_ptr<MaskDefStmt> def;
};
struct LetDecl : DeclBase<Decl::Let> {
  using DeclBase::DeclBase;
  ExprPtr value;
};
struct ExperimentDecl : DeclBase<Decl::Experiment> {
  using DeclBase::DeclBase;
  std::vector<Setting> settings;
};

/// One parsed .spec file.
struct Module {
  std::string path;
  std::vector<DeclPtr> decls;
};

} // namespace frond::ast
