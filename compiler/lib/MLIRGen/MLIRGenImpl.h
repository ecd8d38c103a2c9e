//===- MLIRGenImpl.h - state shared by the MLIRGen sources ------*- C++ -*-===//
//
// The Emitter walks a recorded graph and builds frond IR. MLIRGen.cpp holds
// the function, the tensor-level nodes and the helpers nodes need;
// MLIRGenShapes.cpp the nodes without a dialect op of their own (positions,
// segment, squeeze, unsqueeze, extract); MLIRGenRegions.cpp frond.attention
// and its scalar region graphs; MLIRGenDag.cpp PLDR's DAG loss.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_MLIRGEN_MLIRGENIMPL_H
#define FROND_LIB_MLIRGEN_MLIRGENIMPL_H

#include "frond/MLIRGen/MLIRGen.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace frond::mlirgen {

// frond::Value (a spec value) and mlir::Value share a name: here "Value" is
// MLIR's and attribute values of graph nodes are SpecValue.
using SpecValue = ::frond::Value;
using mlir::Attribute;
using mlir::Location;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;

class Emitter {
public:
  Emitter(mlir::MLIRContext &ctx, DiagEngine &diags)
      : ctx(ctx), b(&ctx), diags(diags) {}

  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  DiagEngine &diags;
  /// The type spec floats get: f32, or f64 (MLIRGenOptions::f64). "f32"
  /// in comments of the MLIRGen sources means this type.
  mlir::FloatType floatType = b.getF32Type();

  // --- Locations and errors (MLIRGen.cpp) ---------------------------------
  /// `file:line:col` of a node, or unknown.
  Location loc(const Loc &l);
  /// The frond location of an MLIR location (for verifier messages).
  Loc toLoc(Location l);
  /// Reports an error; emission stops at the first one.
  void error(const Loc &l, const std::string &msg);
  bool hasFailed() const { return failed; }

  // --- Types and attributes (MLIRGen.cpp) ---------------------------------
  /// float -> f32, int -> i64, bool -> i1, index -> index; null on error.
  Type scalarType(const graph::Node &n);
  /// The node's tensor type (symbolic extents are dynamic); null on error.
  RankedTensorType tensorType(const graph::Node &n);
  /// A number or boolean as an attribute of scalar type `t`.
  mlir::TypedAttr scalarAttr(Type t, const SpecValue &v);
  const SpecValue *attr(const graph::Node &n, const std::string &name);
  /// A numeric attribute (Int or Float) as a double; nullopt (with an error
  /// when `required`) if absent or not a number.
  std::optional<double> numAttr(const graph::Node &n, const std::string &name,
                                bool required);
  /// The enum attribute `frond.<op>`'s `name` takes from a string, or null
  /// (after an error).
  Attribute enumAttr(const graph::Node &n, const std::string &name,
                     const SpecValue &v);

  // --- Values --------------------------------------------------------------
  /// A tensor with element type `elem` (a constant is re-typed, anything
  /// else goes through frond.cast).
  Value castElements(Value v, Type elem, Location l);
  /// The number a splat constant tensor holds; Invalid for anything else.
  static SpecValue splatNumber(Value v);
  /// Converts a scalar between i1, integers, index and floats (arith).
  Value convertScalar(Value v, Type to, Location l);
  /// The common type of two scalars: the wider float, else the integer
  /// (index meeting i64 gives i64), else index, else i1.
  static Type unify(Type a, Type c);
  /// `arith.constant 0` of scalar type `t`.
  Value zero(Type t, Location l);

  /// The module with the model's function @<model><suffix> (the forward,
  /// or a derived graph such as generation's prefill); null after an error.
  mlir::OwningOpRef<mlir::ModuleOp> emitModule(const graph::Graph &g,
                                               const ModelInstance &m,
                                               const std::string &suffix = "_forward");

  // --- Nodes ---------------------------------------------------------------
  /// Emits an outer (tensor-level) node; operands are null where absent.
  Value emitNode(const graph::Node &n, llvm::ArrayRef<Value> operands);
  /// frond.attention and its mask/score regions (MLIRGenRegions.cpp).
  Value emitAttention(const graph::Node &n, llvm::ArrayRef<Value> operands);
  /// PLDR's DAG regulariser over power_law matrices (MLIRGenDag.cpp).
  Value emitDag(const graph::Node &n, llvm::ArrayRef<Value> operands);

private:
  std::map<std::string, std::shared_ptr<const std::string>> files;
  bool failed = false;

  Value emitConstant(const graph::Node &n);
  /// A node named after a frond op: operands, attributes, element types.
  Value emitGeneric(const graph::Node &n, llvm::ArrayRef<Value> operands);

  // Helpers without a dialect op of their own (MLIRGenShapes.cpp).
  Value emitPositions(const graph::Node &n, llvm::ArrayRef<Value> operands);
  Value emitUnitDim(const graph::Node &n, llvm::ArrayRef<Value> operands);
  Value emitExtract(const graph::Node &n, llvm::ArrayRef<Value> operands);
  Value sliceBound(Value v, Location l, const char *name,
                   mlir::OperationState &state);

  // Regions (MLIRGenRegions.cpp).
  bool emitRegion(const graph::Graph &g, mlir::Region &region,
                  llvm::ArrayRef<Type> leading, mlir::ValueRange captures,
                  Type yieldType, const graph::Node &att, const char *what);
  Value emitScalarNode(const graph::Node &n, llvm::ArrayRef<Value> operands);
  Value scalarOf(Value v, const graph::Node &n);
  Value scalarUnary(llvm::StringRef kind, Value x, const graph::Node &n);
  Value scalarBinary(llvm::StringRef kind, Value l, Value r, Type t,
                     const graph::Node &n);
};

} // namespace frond::mlirgen

#endif // FROND_LIB_MLIRGEN_MLIRGENIMPL_H
