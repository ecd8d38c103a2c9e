//===- Values.h - compile-time values of the elaborator --------*- C++ -*-===//
//
// Sema checks a spec by *elaborating* it: evaluating every model statement
// over compile-time values. Tensors carry static shapes over named
// dimensions (b, t from inputs; d, vocab from parameters), so shape errors
// are found before any code is generated.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Ast.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace frond {

/// A dimension: a known size (d = 128) or a symbol (b, t, t - src_len).
struct Dim {
  std::string name; ///< Symbol or the parameter it came from; may be empty.
  long long size = -1; ///< -1 when only known symbolically.
  bool known() const { return size >= 0; }
  std::string str() const;
  bool operator==(const Dim &o) const;
  bool operator!=(const Dim &o) const { return !(*this == o); }
};
using Shape = std::vector<Dim>;
std::string shapeStr(const Shape &s);

struct Value;
using ValuePtr = std::shared_ptr<Value>;

/// One compile-time value. `Invalid` marks the result of an expression that
/// already produced an error: it is accepted everywhere so one mistake gives
/// one message, not a cascade.
struct Value {
  enum Kind { Invalid, Int, Float, Bool, Str, None, List, Tensor, Mask, Score,
              Block, Model, Pos, Config, Index } kind = Invalid;
  long long i = 0;
  double f = 0;
  bool b = false;
  std::string s;               ///< Str; Config: constructor name; Tensor: dtype
  std::vector<Value> list;     ///< List
  Shape shape;                 ///< Tensor
  std::map<std::string, Value> fields; ///< Pos / Config / bound mask args
  const ast::MaskDefStmt *mask = nullptr; ///< Mask, Score
  const ast::Decl *decl = nullptr;        ///< Block, Model
  const void *module = nullptr;           ///< Defining module of decl/mask
  std::shared_ptr<void> closure;          ///< Scope a local mask closes over
  std::string display;         ///< How to print this value (e.g. a mask name)
  /// When a graph is being recorded: the node computing this tensor, and
  /// the graph (outer or region) that node lives in.
  int node = -1;
  const void *graphOf = nullptr;

  static Value invalid() { return Value{}; }
  static Value ofInt(long long v);
  static Value ofFloat(double v);
  static Value ofBool(bool v);
  static Value ofStr(std::string v);
  static Value none();
  static Value tensor(Shape s, std::string dtype = "float");

  bool isNumber() const { return kind == Int || kind == Float; }
  double num() const { return kind == Int ? double(i) : f; }
  bool isScalarTensor() const { return kind == Tensor && shape.empty(); }
  /// A short description for messages: "an integer (4)", "a tensor [b, t, 64]".
  std::string describe() const;
  /// The value as spec source text where that makes sense ("4", "\"half\"").
  std::string str() const;
};

const char *kindName(Value::Kind k);

} // namespace frond
