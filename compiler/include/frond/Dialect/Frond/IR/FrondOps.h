//===- FrondOps.h - frond operations ----------------------------*- C++ -*-===//
//
// The generated op classes of the frond dialect (see FrondOps.td).
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDOPS_H
#define FROND_DIALECT_FROND_IR_FRONDOPS_H

#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "frond/Dialect/Frond/IR/FrondInterfaces.h.inc"

#define GET_OP_CLASSES
#include "frond/Dialect/Frond/IR/FrondOps.h.inc"

#endif // FROND_DIALECT_FROND_IR_FRONDOPS_H
