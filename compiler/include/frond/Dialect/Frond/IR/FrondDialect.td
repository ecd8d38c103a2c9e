//===- FrondDialect.td - The frond dialect -----------------*- tablegen -*-===//
//
// The dialect definition, the type constraints shared by every op, and the
// base class `Frond_Op` that all ops derive from.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDDIALECT_TD
#define FROND_DIALECT_FROND_IR_FRONDDIALECT_TD

include "mlir/IR/OpBase.td"

def Frond_Dialect : Dialect {
  let name = "frond";
  let cppNamespace = "::mlir::frond";
  let summary = "Tensor-level operations for attention-architecture research";
  let description = [{
    The `frond` dialect is the first IR a `.spec` model is lowered to: one
    `func.func` per model forward, parameters as function arguments, and one
    op per primitive of the language (embedding, linear, norms, elementwise
    maths, RoPE, slicing, reductions, losses and a first-class attention op
    whose mask and score modifier are regions).

    Values are builtin ranked tensors: `f16`/`bf16`/`f32`/`f64` for data,
    `i64`/`i32` for token ids and positions, `i1` for masks. Batch and
    sequence extents may be dynamic (`?`); every verifier treats a dynamic
    extent as compatible with any other extent and checks the static ones.
  }];
  // Attention regions are written with arith/math/tensor ops on scalars and
  // captured tensors, so whoever builds frond IR gets them loaded too.
  let dependentDialects = [
    "arith::ArithDialect",
    "math::MathDialect",
    "tensor::TensorDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Frond_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
def Frond_IdTensor : RankedTensorOf<[I32, I64]>;
def Frond_MaskTensor : RankedTensorOf<[I1]>;
/// Tensors that arithmetic applies to: floats and integer ids.
def Frond_NumTensor : RankedTensorOf<[F16, BF16, F32, F64, I32, I64]>;
/// Any tensor the dialect handles, masks included.
def Frond_Tensor : RankedTensorOf<[F16, BF16, F32, F64, I1, I32, I64]>;
/// A 0-d floating-point tensor: a loss.
def Frond_ScalarFloatTensor : 0DTensorOf<[F16, BF16, F32, F64]>;
/// A slice bound: one `index` for every sample, or a `[b]` tensor of
/// per-sample bounds.
def Frond_SliceBound : AnyTypeOf<[Index, 1DTensorOf<[I32, I64]>]>;

//===----------------------------------------------------------------------===//
// Base op class
//===----------------------------------------------------------------------===//

/// Every frond op: `frond.<mnemonic>`. Ops are pure tensor functions unless
/// they say otherwise, and all verify their shapes (`hasVerifier`).
class Frond_Op<string mnemonic, list<Trait> traits = []>
    : Op<Frond_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

#endif // FROND_DIALECT_FROND_IR_FRONDDIALECT_TD
