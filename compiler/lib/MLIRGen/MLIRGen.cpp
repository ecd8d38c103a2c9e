//===- MLIRGen.cpp - a recorded model graph to frond MLIR -----------------===//
//
// One func.func per model: "input" then "param" nodes become the arguments
// (a tied parameter shares its target's), every node named after a frond op
// that op, and the graph outputs the results. Element types are reconciled
// here (an int constant added to a float tensor is re-typed; integer
// results of float-only ops are computed in f32 and cast). Helpers without
// an op of their own are in MLIRGenShapes.cpp, attention and its region
// graphs in MLIRGenRegions.cpp. The module is verified before it is
// returned; any problem is reported at the location of the node causing it.
//
//===----------------------------------------------------------------------===//
#include "MLIRGenImpl.h"

#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

namespace fir = mlir::frond;

namespace frond::mlirgen {

//===----------------------------------------------------------------------===//
// Locations, errors, types, attributes
//===----------------------------------------------------------------------===//

Location Emitter::loc(const Loc &l) {
  if (!l.valid())
    return mlir::UnknownLoc::get(&ctx);
  files.try_emplace(*l.file, l.file);
  return mlir::FileLineColLoc::get(&ctx, *l.file, l.line, l.col);
}

Loc Emitter::toLoc(Location l) {
  Loc out;
  auto flc = l->findInstanceOf<mlir::FileLineColLoc>();
  if (!flc)
    return out;
  std::string file = flc.getFilename().str();
  auto it = files.find(file);
  out.file = it != files.end() ? it->second
                               : std::make_shared<const std::string>(file);
  out.line = flc.getLine();
  out.col = flc.getColumn();
  return out;
}

void Emitter::error(const Loc &l, const std::string &msg) {
  if (!failed)
    diags.error(l, msg);
  failed = true;
}

Type Emitter::scalarType(const graph::Node &n) {
  if (n.dtype == "float")
    return floatType;
  if (n.dtype == "int")
    return b.getI64Type();
  if (n.dtype == "bool")
    return b.getI1Type();
  if (n.dtype == "index")
    return b.getIndexType();
  error(n.loc, "cannot lower '" + n.op + "': unknown dtype '" + n.dtype +
                   "' (expected float, int, bool or index)");
  return {};
}

RankedTensorType Emitter::tensorType(const graph::Node &n) {
  Type elem = scalarType(n);
  if (!elem)
    return {};
  llvm::SmallVector<int64_t> shape;
  for (const Dim &d : n.shape)
    shape.push_back(d.known() ? d.size : mlir::ShapedType::kDynamic);
  return RankedTensorType::get(shape, elem);
}

mlir::TypedAttr Emitter::scalarAttr(Type t, const SpecValue &v) {
  double num = v.kind == SpecValue::Bool ? double(v.b) : v.num();
  if (mlir::isa<mlir::FloatType>(t))
    return mlir::FloatAttr::get(t, num);
  if (t.isInteger(1))
    return b.getIntegerAttr(t, num != 0 ? 1 : 0);
  return b.getIntegerAttr(t, v.kind == SpecValue::Int ? v.i : (long long)num);
}

const SpecValue *Emitter::attr(const graph::Node &n, const std::string &name) {
  auto it = n.attrs.find(name);
  return it == n.attrs.end() ? nullptr : &it->second;
}

std::optional<double> Emitter::numAttr(const graph::Node &n,
                                       const std::string &name, bool required) {
  const SpecValue *v = attr(n, name);
  if (v && v->isNumber())
    return v->num();
  if (v || required)
    error(n.loc, "cannot lower '" + n.op + "': attribute '" + name +
                     "' must be a number" +
                     (v ? ", found " + v->describe() : std::string()));
  return std::nullopt;
}

namespace {
/// `E`'s attribute from its keyword, or null with `options` listing them.
template <typename E, typename AttrT, typename Sym>
Attribute enumFrom(mlir::MLIRContext *ctx, llvm::StringRef s, Sym symbolize,
                   unsigned maxVal, std::string &options) {
  if (auto k = symbolize(s))
    return AttrT::get(ctx, *k);
  for (unsigned i = 0; i <= maxVal; ++i)
    options += (i ? ", " : "") + fir::stringifyEnum(static_cast<E>(i)).str();
  return {};
}
} // namespace

Attribute Emitter::enumAttr(const graph::Node &n, const std::string &name,
                            const SpecValue &v) {
  if (v.kind != SpecValue::Str) {
    error(n.loc, "cannot lower '" + n.op + "': attribute '" + name +
                     "' must be a string, found " + v.describe());
    return {};
  }
  std::string options;
  Attribute a;
  auto *c = &ctx;
  const std::string &op = n.op;
  if (name == "activation")
    a = enumFrom<fir::Activation, fir::ActivationAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeActivation(s); },
        fir::getMaxEnumValForActivation(), options);
  else if (name == "layout")
    a = enumFrom<fir::RopeLayout, fir::RopeLayoutAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeRopeLayout(s); },
        fir::getMaxEnumValForRopeLayout(), options);
  else if (op == "unary")
    a = enumFrom<fir::UnaryKind, fir::UnaryKindAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeUnaryKind(s); },
        fir::getMaxEnumValForUnaryKind(), options);
  else if (op == "binary")
    a = enumFrom<fir::BinaryKind, fir::BinaryKindAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeBinaryKind(s); },
        fir::getMaxEnumValForBinaryKind(), options);
  else if (op == "compare")
    a = enumFrom<fir::CompareKind, fir::CompareKindAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeCompareKind(s); },
        fir::getMaxEnumValForCompareKind(), options);
  else if (op == "reduce")
    a = enumFrom<fir::ReduceKind, fir::ReduceKindAttr>(
        c, v.s, [](llvm::StringRef s) { return fir::symbolizeReduceKind(s); },
        fir::getMaxEnumValForReduceKind(), options);
  else if (op == "attention")
    a = enumFrom<fir::AttentionKind, fir::AttentionKindAttr>(
        c, v.s,
        [](llvm::StringRef s) { return fir::symbolizeAttentionKind(s); },
        fir::getMaxEnumValForAttentionKind(), options);
  if (!a)
    error(n.loc, "cannot lower '" + op + "': unknown " + name + " '" + v.s +
                     "'" +
                     (options.empty() ? "" : " (expected " + options + ")"));
  return a;
}

//===----------------------------------------------------------------------===//
// Value helpers
//===----------------------------------------------------------------------===//

SpecValue Emitter::splatNumber(Value v) {
  mlir::DenseElementsAttr dense;
  if (!mlir::matchPattern(v, mlir::m_Constant(&dense)) || !dense.isSplat())
    return SpecValue::invalid();
  Attribute a = dense.getSplatValue<Attribute>();
  if (auto f = mlir::dyn_cast<mlir::FloatAttr>(a))
    return SpecValue::ofFloat(f.getValueAsDouble());
  if (auto i = mlir::dyn_cast<mlir::IntegerAttr>(a))
    return i.getType().isInteger(1)
               ? SpecValue::ofBool(i.getValue().getBoolValue())
               : SpecValue::ofInt(i.getValue().getSExtValue());
  return SpecValue::invalid();
}

Value Emitter::castElements(Value v, Type elem, Location l) {
  auto t = mlir::cast<RankedTensorType>(v.getType());
  if (t.getElementType() == elem)
    return v;
  auto to = t.clone(elem);
  SpecValue n = splatNumber(v);
  if (n.kind != SpecValue::Invalid)
    return mlir::arith::ConstantOp::create(
        b, v.getLoc(),
        mlir::DenseElementsAttr::get(to, Attribute(scalarAttr(elem, n))));
  return fir::CastOp::create(b, l, to, v);
}

Value Emitter::zero(Type t, Location l) {
  return mlir::arith::ConstantOp::create(b, l, b.getZeroAttr(t));
}

Type Emitter::unify(Type a, Type c) {
  auto fa = mlir::dyn_cast<mlir::FloatType>(a);
  auto fc = mlir::dyn_cast<mlir::FloatType>(c);
  if (fa && fc)
    return fa.getWidth() >= fc.getWidth() ? a : c;
  if (fa || fc)
    return fa ? a : c;
  // index meets i64 (q against src_len[b]): compare as the integer type,
  // but keep index against i1.
  if (a.isIndex() || c.isIndex()) {
    Type other = a.isIndex() ? c : a;
    return other.isIndex() || other.isInteger(1) ? (a.isIndex() ? a : c)
                                                 : other;
  }
  return a.getIntOrFloatBitWidth() >= c.getIntOrFloatBitWidth() ? a : c;
}

Value Emitter::convertScalar(Value v, Type to, Location l) {
  namespace arith = mlir::arith;
  Type from = v.getType();
  if (from == to)
    return v;
  bool fromFloat = mlir::isa<mlir::FloatType>(from);
  bool toFloat = mlir::isa<mlir::FloatType>(to);
  if (to.isInteger(1)) // x != 0
    return fromFloat ? Value(arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE,
                                                  v, zero(from, l)))
                     : Value(arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne,
                                                  v, zero(from, l)));
  if (from.isInteger(1)) { // false/true -> 0/1
    if (toFloat)
      return arith::UIToFPOp::create(b, l, to, v);
    if (to.isIndex())
      return arith::IndexCastUIOp::create(b, l, to, v);
    return arith::ExtUIOp::create(b, l, to, v);
  }
  if (fromFloat) {
    if (toFloat)
      return mlir::cast<mlir::FloatType>(to).getWidth() >
                     mlir::cast<mlir::FloatType>(from).getWidth()
                 ? Value(arith::ExtFOp::create(b, l, to, v))
                 : Value(arith::TruncFOp::create(b, l, to, v));
    if (to.isIndex())
      return arith::IndexCastOp::create(
          b, l, to, arith::FPToSIOp::create(b, l, b.getI64Type(), v));
    return arith::FPToSIOp::create(b, l, to, v);
  }
  // From index or a wider integer.
  if (to.isIndex() || from.isIndex()) {
    if (!toFloat)
      return arith::IndexCastOp::create(b, l, to, v);
    v = arith::IndexCastOp::create(b, l, b.getI64Type(), v);
    return arith::SIToFPOp::create(b, l, to, v);
  }
  if (toFloat)
    return arith::SIToFPOp::create(b, l, to, v);
  if (to.getIntOrFloatBitWidth() > from.getIntOrFloatBitWidth())
    return arith::ExtSIOp::create(b, l, to, v);
  return arith::TruncIOp::create(b, l, to, v);
}

//===----------------------------------------------------------------------===//
// Tensor-level nodes
//===----------------------------------------------------------------------===//

Value Emitter::emitNode(const graph::Node &n, llvm::ArrayRef<Value> operands) {
  if (n.op == "constant")
    return emitConstant(n);
  if (n.op == "positions" || n.op == "segment")
    return emitPositions(n, operands);
  if (n.op == "attention")
    return emitAttention(n, operands);
  if (n.op == "dag")
    return emitDag(n, operands);
  if (n.op == "squeeze" || n.op == "unsqueeze")
    return emitUnitDim(n, operands);
  if (n.op == "extract")
    return emitExtract(n, operands);
  if (n.op == "dropout") { // The identity at evaluation.
    if (operands.empty() || !operands[0])
      error(n.loc, "cannot lower 'dropout': its input is missing");
    return operands.empty() ? Value() : operands[0];
  }
  if (n.op == "region_arg" || n.op == "capture" || n.op == "yield") {
    error(n.loc, "cannot lower '" + n.op +
                     "' outside the mask or score region of an attention");
    return {};
  }
  return emitGeneric(n, operands);
}

Value Emitter::emitConstant(const graph::Node &n) {
  const SpecValue *v = attr(n, "value");
  if (!v || !(v->isNumber() || v->kind == SpecValue::Bool)) {
    error(n.loc, "cannot lower 'constant': it needs a numeric 'value'");
    return {};
  }
  RankedTensorType type = tensorType(n);
  if (!type)
    return {};
  if (!type.hasStaticShape()) {
    error(n.loc, "cannot lower 'constant': its shape must be static");
    return {};
  }
  mlir::TypedAttr scalar = scalarAttr(type.getElementType(), *v);
  return mlir::arith::ConstantOp::create(
      b, loc(n.loc), mlir::DenseElementsAttr::get(type, Attribute(scalar)));
}

/// Ops whose operands are taken in the result's element type.
static bool isElementwise(llvm::StringRef op) {
  return llvm::is_contained({"binary", "unary", "softcap", "clamp", "swiglu",
                             "cumsum", "softmax", "reduce", "concat"},
                            op);
}

/// Ops (and kinds) defined on floats only: an integer result is computed in
/// f32 and cast back (`-ids`, `a // b` as floor of a float division).
static bool floatOnly(const graph::Node &n) {
  if (llvm::is_contained({"unary", "softcap", "softmax", "swiglu"}, n.op))
    return true;
  auto it = n.attrs.find("kind");
  return n.op == "binary" && it != n.attrs.end() && it->second.s == "pow";
}

/// Ops whose result type is their first operand's.
static bool keepsInputType(llvm::StringRef op) {
  return llvm::is_contained({"unary", "softcap", "clamp", "swiglu", "cumsum",
                             "softmax", "rms_norm", "layer_norm", "rope"},
                            op);
}

Value Emitter::emitGeneric(const graph::Node &n,
                           llvm::ArrayRef<Value> operandsIn) {
  std::string name = "frond." + n.op;
  auto opName = mlir::RegisteredOperationName::lookup(name, &ctx);
  if (!opName) {
    error(n.loc, "cannot lower '" + n.op + "': the frond dialect has no op '" +
                     name + "'");
    return {};
  }
  RankedTensorType type = tensorType(n);
  if (!type)
    return {};
  Location l = loc(n.loc);
  mlir::OperationState state(l, *opName);
  llvm::SmallVector<Value> ops(operandsIn.begin(), operandsIn.end());
  if (ops.empty() || !ops[0]) {
    error(n.loc, "cannot lower '" + n.op + "': its first operand is missing");
    return {};
  }

  // Element types: elementwise ops compute in the result's type, compare in
  // the wider of its operands', select picks between result-typed values.
  Type elem = type.getElementType();
  if (floatOnly(n) && !mlir::isa<mlir::FloatType>(elem))
    elem = floatType;
  auto elemOf = [](Value v) {
    return mlir::cast<RankedTensorType>(v.getType()).getElementType();
  };
  if (isElementwise(n.op)) {
    for (Value &v : ops)
      if (v)
        v = castElements(v, elem, l);
  } else if (n.op == "compare" && ops.size() == 2 && ops[1]) {
    Type common = unify(elemOf(ops[0]), elemOf(ops[1]));
    if (common.isInteger(1)) // frond.compare takes numbers: masks as 0/1.
      common = b.getI64Type();
    ops[0] = castElements(ops[0], common, l);
    ops[1] = castElements(ops[1], common, l);
  } else if (n.op == "select" && ops.size() == 3 && ops[1] && ops[2]) {
    ops[0] = castElements(ops[0], b.getI1Type(), l);
    ops[1] = castElements(ops[1], elem, l);
    ops[2] = castElements(ops[2], elem, l);
  }

  // Attributes: only the op's own, converted by what they hold.
  static const llvm::StringSet<> f64Attrs = {"eps",   "theta", "scale",
                                             "cap",   "min",   "max",
                                             "label_smoothing"};
  static const llvm::StringSet<> unitAttrs = {"keep_dims", "shift",
                                              "kv_source"};
  static const llvm::StringSet<> arrayAttrs = {"permutation", "dims"};
  auto inherent = opName->getAttributeNames();
  for (const auto &[key, v] : n.attrs) {
    if (!llvm::is_contained(inherent, key) || key == "operandSegmentSizes") {
      error(n.loc, "cannot lower '" + n.op + "': '" + name +
                       "' has no attribute '" + key + "'");
      return {};
    }
    Attribute a;
    std::string want;
    if (key == "kind" || key == "activation" || key == "layout") {
      if (!(a = enumAttr(n, key, v)))
        return {};
    } else if (f64Attrs.contains(key)) {
      if (v.isNumber())
        a = b.getF64FloatAttr(v.num());
      want = "a number";
    } else if (unitAttrs.contains(key)) {
      if (v.kind == SpecValue::Bool) {
        if (!v.b)
          continue;
        a = b.getUnitAttr();
      }
      want = "true or false";
    } else if (arrayAttrs.contains(key)) {
      llvm::SmallVector<int64_t> xs;
      bool ok = v.kind == SpecValue::List || v.kind == SpecValue::Int;
      if (v.kind == SpecValue::Int)
        xs.push_back(v.i);
      for (const SpecValue &x : v.list) {
        ok &= x.kind == SpecValue::Int;
        xs.push_back(x.i);
      }
      if (ok)
        a = b.getDenseI64ArrayAttr(xs);
      want = "a list of integers";
    } else if (key == "pad" || key == "value") {
      if (v.isNumber() || v.kind == SpecValue::Bool)
        a = scalarAttr(key == "pad" ? elemOf(ops[0]) : elem, v);
      want = "a number";
    } else {
      if (v.kind == SpecValue::Int)
        a = b.getI64IntegerAttr(v.i);
      want = "an integer";
    }
    if (!a) {
      error(n.loc, "cannot lower '" + n.op + "': attribute '" + key +
                       "' must be " + want + ", found " + v.describe());
      return {};
    }
    state.addAttribute(key, a);
  }

  // Operands: absent optional ones are dropped; layer_norm and slice say
  // which of their three operands are present.
  if (n.op == "slice") {
    ops.resize(3);
    for (int i : {1, 2})
      if (ops[i])
        ops[i] = sliceBound(ops[i], l, i == 1 ? "static_start" : "static_end",
                            state);
  }
  if (n.op == "layer_norm" || n.op == "slice") {
    ops.resize(3);
    state.addAttribute("operandSegmentSizes",
                       b.getDenseI32ArrayAttr({1, ops[1] ? 1 : 0,
                                               ops[2] ? 1 : 0}));
  }
  for (Value v : ops)
    if (v)
      state.addOperands(v);
  state.addTypes(keepsInputType(n.op) ? ops[0].getType()
                                      : Type(type.clone(elem)));
  Value result = b.create(state)->getResult(0);
  return castElements(result, type.getElementType(), l);
}

//===----------------------------------------------------------------------===//
// The function
//===----------------------------------------------------------------------===//

mlir::OwningOpRef<mlir::ModuleOp>
Emitter::emitModule(const graph::Graph &g, const ModelInstance &m,
                    const std::string &suffix) {
  // Arguments: inputs, then parameters, each in node order. A parameter
  // tied to another (a head `tied tok`) shares that one's argument.
  std::map<std::string, const ParamInfo *> infos;
  for (const ParamInfo &p : m.params)
    infos[p.path] = &p;
  std::map<std::string, int> paramNodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].op == "param")
      paramNodes.try_emplace(g.nodes[i].name, int(i));
  std::vector<int> tiedTo(g.nodes.size(), -1);
  for (auto &[path, id] : paramNodes) {
    int root = id;
    for (int hops = 0; hops < 16; ++hops) {
      auto info = infos.find(g.nodes[root].name);
      auto next = info == infos.end() || info->second->tiedTo.empty()
                      ? paramNodes.end()
                      : paramNodes.find(info->second->tiedTo);
      if (next == paramNodes.end())
        break;
      root = next->second;
    }
    if (root != id)
      tiedTo[id] = root;
  }
  std::vector<int> args;
  for (const char *kind : {"input", "param"})
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].op == kind && tiedTo[i] < 0)
        args.push_back(int(i));
  llvm::SmallVector<Type> argTypes;
  for (int id : args) {
    Type t = tensorType(g.nodes[id]);
    if (!t)
      return nullptr;
    argTypes.push_back(t);
  }

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  std::string fname = (m.name.empty() ? std::string("model") : m.name) + suffix;
  auto func = mlir::func::FuncOp::create(b, b.getUnknownLoc(), fname,
                                         b.getFunctionType(argTypes, {}));
  mlir::Block *entry = func.addEntryBlock();
  std::vector<Value> values(g.nodes.size());
  for (auto [i, id] : llvm::enumerate(args)) {
    const graph::Node &n = g.nodes[id];
    values[id] = entry->getArgument(i);
    values[id].setLoc(loc(n.loc));
    func.setArgAttr(i, "frond.name", b.getStringAttr(n.name));
    // Parameters say whether they train: -frond-autodiff differentiates
    // with respect to the trainable ones only.
    if (n.op == "param") {
      bool trainable = true;
      for (const ParamInfo &p : m.params)
        if (p.path == n.name)
          trainable = p.trainable;
      func.setArgAttr(i, "frond.trainable", b.getBoolAttr(trainable));
    }
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (tiedTo[i] < 0)
      continue;
    if (tensorType(g.nodes[i]) != values[tiedTo[i]].getType()) {
      error(g.nodes[i].loc, "cannot lower parameter '" + g.nodes[i].name +
                                "': its shape differs from '" +
                                g.nodes[tiedTo[i]].name + "', which it is tied to");
      return nullptr;
    }
    values[i] = values[tiedTo[i]];
  }

  // Body.
  b.setInsertionPointToStart(entry);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const graph::Node &n = g.nodes[i];
    if (n.op == "input" || n.op == "param")
      continue;
    llvm::SmallVector<Value> operands;
    for (int id : n.operands) {
      if (id == -1) {
        operands.push_back(Value());
        continue;
      }
      if (id < 0 || size_t(id) >= i || !values[id]) {
        error(n.loc, "cannot lower '" + n.op + "': operand node #" +
                           std::to_string(id) + " is not defined before node #" +
                           std::to_string(i));
        return nullptr;
      }
      operands.push_back(values[id]);
    }
    values[i] = emitNode(n, operands);
    if (!values[i] || failed)
      return nullptr;
  }

  // Results: the graph outputs, named by frond.outputs.
  llvm::SmallVector<Value> results;
  llvm::SmallVector<Attribute> names;
  for (const auto &[name, id] : g.outputs) {
    if (id < 0 || size_t(id) >= g.nodes.size() || !values[id]) {
      error(Loc{}, "cannot lower output '" + name + "': node #" +
                         std::to_string(id) + " does not exist");
      return nullptr;
    }
    results.push_back(values[id]);
    names.push_back(b.getStringAttr(name));
  }
  mlir::func::ReturnOp::create(b, b.getUnknownLoc(), results);
  // Constants left unused by re-typing (castElements, sliceBound).
  func.walk([](mlir::arith::ConstantOp c) {
    if (c->use_empty())
      c->erase();
  });
  func.setFunctionType(b.getFunctionType(argTypes, mlir::ValueRange(results).getTypes()));
  func->setAttr("frond.outputs", b.getArrayAttr(names));

  // Verify, reporting the verifier's messages at the nodes' locations.
  bool ok;
  {
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      if (d.getSeverity() != mlir::DiagnosticSeverity::Error)
        return mlir::success();
      std::string msg = d.str();
      for (const mlir::Diagnostic &note : d.getNotes())
        if (!llvm::StringRef(note.str()).starts_with("see current operation"))
          msg += "\n  note: " + note.str();
      error(toLoc(d.getLocation()),
              "internal error: the generated MLIR does not verify: " + msg);
      return mlir::success();
    });
    ok = mlir::succeeded(mlir::verify(*module));
  }
  if (!ok || failed)
    return nullptr;
  return module;
}

} // namespace frond::mlirgen

mlir::OwningOpRef<mlir::ModuleOp>
frond::mlirGen(mlir::MLIRContext &ctx, const graph::Graph &g,
               const ModelInstance &m, DiagEngine &diags,
               const MLIRGenOptions &options) {
  ctx.loadDialect<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  fir::FrondDialect>();
  mlirgen::Emitter emitter(ctx, diags);
  if (options.f64)
    emitter.floatType = emitter.b.getF64Type();
  return emitter.emitModule(g, m);
}
