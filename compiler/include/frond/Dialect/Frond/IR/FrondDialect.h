//===- FrondDialect.h - The frond dialect -----------------------*- C++ -*-===//
//
// The frond dialect class, its enums (UnaryKind, BinaryKind, ...) and their
// attributes (UnaryKindAttr, ...). Ops are in FrondOps.h.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDDIALECT_H
#define FROND_DIALECT_FROND_IR_FRONDDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "frond/Dialect/Frond/IR/FrondOpsDialect.h.inc"

#include "frond/Dialect/Frond/IR/FrondEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "frond/Dialect/Frond/IR/FrondAttrs.h.inc"

#endif // FROND_DIALECT_FROND_IR_FRONDDIALECT_H
