//===- FrondDialect.cpp - The frond dialect -------------------------------===//
//
// Dialect registration and the generated enum and attribute definitions.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::frond;

#include "frond/Dialect/Frond/IR/FrondOpsDialect.cpp.inc"

#include "frond/Dialect/Frond/IR/FrondEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "frond/Dialect/Frond/IR/FrondAttrs.cpp.inc"

void FrondDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "frond/Dialect/Frond/IR/FrondAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "frond/Dialect/Frond/IR/FrondOps.cpp.inc"
      >();
}
