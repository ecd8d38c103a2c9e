//===- FrondOps.td - frond operations ----------------------*- tablegen -*-===//
//
// Every op of the frond dialect, grouped by family: layers (embedding,
// linears, norms, rope, matrix products and exponential), elementwise maths,
// shapes, reductions and losses, the gradient ops (FrondGradientOps.td),
// then attention and its region terminator (FrondAttentionOps.td). Shapes
// are checked in C++ verifiers (lib/Dialect/Frond/IR/*.cpp); the semantics
// are written here.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDOPS_TD
#define FROND_DIALECT_FROND_IR_FRONDOPS_TD

include "frond/Dialect/Frond/IR/FrondDialect.td"
include "frond/Dialect/Frond/IR/FrondAttrs.td"
include "frond/Dialect/Frond/IR/FrondInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Frond_EmbeddingOp : Frond_Op<"embedding", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "table lookup: one row of `table` per id";
  let description = [{
    `result[i..., :] = table[ids[i...], :]` with `ids : [N...]` (any rank)
    and `table : [V, D]`, so the result is `[N..., D]`. Ids outside `[0, V)`
    are undefined behaviour.

    ```mlir
    %e = frond.embedding %ids, %table
        : (tensor<?x?xi64>, tensor<97x64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_IdTensor:$ids, Frond_FloatTensor:$table);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_LinearOp : Frond_Op<"linear", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "affine map over the last dimension: x Wᵀ + b";
  let description = [{
    `result = input · weightᵀ (+ bias)` with `input : [N..., in]`,
    `weight : [out, in]` (PyTorch layout), `bias : [out]`; the result is
    `[N..., out]`.

    ```mlir
    %y = frond.linear %x, %w, %b
        : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>)
        -> tensor<?x?x128xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input, Frond_FloatTensor:$weight,
                       Optional<Frond_FloatTensor>:$bias);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_LowRankLinearOp : Frond_Op<"lowrank_linear", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "factorised linear: W2 φ(W1 x)";
  let description = [{
    `result = φ(input · w1ᵀ) · w2ᵀ` with `input : [N..., in]`,
    `w1 : [r, in]`, `w2 : [out, r]`; the result is `[N..., out]`. `φ` is the
    `activation`: `none` (identity), `relu2` (`relu(x)²`, Palm's
    CastedLinear), `relu`, `gelu` (exact, erf) or `silu`. No biases.

    ```mlir
    %y = frond.lowrank_linear relu2 %x, %w1, %w2
        : (tensor<?x?x64xf32>, tensor<16x64xf32>, tensor<192x16xf32>)
        -> tensor<?x?x192xf32>
    ```
  }];
  let arguments = (ins Frond_ActivationAttr:$activation,
                       Frond_FloatTensor:$input, Frond_FloatTensor:$w1,
                       Frond_FloatTensor:$w2);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($activation) $input `,` $w1 `,` $w2 attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// φ as a `frond.unary` kind; none for the identity.
    std::optional<UnaryKind> getActivationKind();
  }];
}

def Frond_RMSNormOp : Frond_Op<"rms_norm", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalisation over the last dimension";
  let description = [{
    `result = input · rsqrt(mean(input², -1) + eps) (· weight)` with
    `input : [N..., D]` and an optional `weight : [D]`. The reduction is
    computed in at least f32 whatever the element type (as PALM and Palm
    do), then cast back. Without `weight` this is Palm's weightless norm.

    ```mlir
    %n = frond.rms_norm %x weight %w eps = 1.0e-06
        : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input,
                       Optional<Frond_FloatTensor>:$weight, F64Attr:$eps);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? `eps` `=` $eps attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_LayerNormOp : Frond_Op<"layer_norm",
    [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalisation over the last dimension";
  let description = [{
    `result = (input - mean) · rsqrt(var + eps) (· weight) (+ bias)`, with
    the biased variance over the last dimension of `input : [N..., D]`, and
    optional `weight : [D]` and `bias : [D]` (nn.LayerNorm when both are
    present).

    ```mlir
    %n = frond.layer_norm %x weight %g bias %b eps = 1.0e-05
        : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input,
                       Optional<Frond_FloatTensor>:$weight,
                       Optional<Frond_FloatTensor>:$bias, F64Attr:$eps);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? (`bias` $bias^)? `eps` `=` $eps attr-dict
    `:` functional-type(operands, results)
  }];
}

def Frond_RopeOp : Frond_Op<"rope", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates pairs of channels of `input : [b, t, h, D]` by angles
    `(positions[b, t] / scale) · ω_i`; `positions : [b, t]` are integers
    (they may restart at a boundary, as PALM's SPE does), `scale` is linear
    position interpolation (1.0 for none); a negative `scale` rotates by the
    negated angles, the transpose (the op's gradient). `layout` picks the
    pairing:

    - `half` (NeoX / Llama rotate-half): `ω_i = theta^(-2i/D)`, `i < D/2`,
      pairs `(x_i, x_{i+D/2})`: `y1 = x1 cos − x2 sin`, `y2 = x2 cos + x1 sin`.
    - `interleaved` (GPT-J / torchtune): same `ω_i`, pairs `(x_2i, x_2i+1)`.
    - `truncated` (Palm): `ω = (1/theta)^linspace(0, 1, D/4) ‖ zeros(D/4)`
      over the halves `x = [x1 | x2]`: `y1 = x1 cos + x2 sin`,
      `y2 = −x1 sin + x2 cos`. Needs `D % 4 == 0`; Palm uses theta = 1024.

    Angles, cos and sin are computed in f32 (f64 for f64 inputs).

    ```mlir
    %r = frond.rope half %q, %pos theta = 1.0e+04 scale = 1.0
        : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins Frond_RopeLayoutAttr:$layout, Frond_FloatTensor:$input,
                       Frond_IdTensor:$positions, F64Attr:$theta,
                       F64Attr:$scale);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($layout) $input `,` $positions `theta` `=` $theta `scale` `=` $scale
    attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_MatmulOp : Frond_Op<"matmul", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let description = [{
    `result[B..., m, n] = Σ_k lhs[B..., m, k] · rhs[B..., k, n]`; both
    operands have rank ≥ 2 and their batch dimensions broadcast as in numpy
    (PLDR's `W @ A` with `W : [h, D, D]`, `A : [b, h, D, D]`). There is no
    1-D promotion: reshape first.

    ```mlir
    %c = frond.matmul %a, %b
        : (tensor<4x16x16xf32>, tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$lhs, Frond_FloatTensor:$rhs);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_ExpmOp : Frond_Op<"expm", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "matrix exponential of the last two dimensions";
  let description = [{
    `result[B...] = exp(input[B...]) = Σ_k input[B...]^k / k!` for square
    matrices `input : [B..., D, D]` (PLDR's DAG loss). Lowered by scaling
    and squaring, per matrix: `s` squarings chosen at run time from the
    1-norm so that `‖A / 2^s‖₁ ≤ 1/2`, a degree-12 Taylor polynomial of
    `A / 2^s`, then `s` squarings; accumulated in at least f32.

    ```mlir
    %e = frond.expm %m : tensor<?x4x16x16xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Frond_UnaryOp : Frond_Op<"unary", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "elementwise unary function selected by `kind`";
  let description = [{
    Applies `kind` to every element: `neg`, `exp`, `log`, `sqrt`, `rsqrt`,
    `abs`, `tanh`, `sigmoid`, `relu`, `relu2` (`relu(x)²`), `gelu` (exact,
    erf), `gelu_tanh` (tanh approximation), `silu` (`x·sigmoid(x)`),
    `softplus` (`log(1 + exp(x))`), `floor`.

    ```mlir
    %y = frond.unary silu %x : tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_UnaryKindAttr:$kind, Frond_FloatTensor:$input);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = "custom<EnumKeyword>($kind) $input attr-dict `:` type($result)";
  let hasVerifier = 0;
}

def Frond_BinaryOp : Frond_Op<"binary", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "elementwise binary function with numpy broadcasting";
  let description = [{
    `result = kind(lhs, rhs)` for `add`, `sub`, `mul`, `div`, `pow`, `max`,
    `min` on numbers, and `and`, `or` on integers and `i1` masks. Shapes
    broadcast as in numpy (aligned on the right; an extent of 1 stretches; a
    rank-0 tensor is a scalar). Operands and result share one element type;
    `pow` needs floats; integer `div` rounds towards zero.

    ```mlir
    %y = frond.binary mul %x, %half
        : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_BinaryKindAttr:$kind, Frond_Tensor:$lhs,
                       Frond_Tensor:$rhs);
  let results = (outs Frond_Tensor:$result);
  let hasFolder = 1;
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_CompareOp : Frond_Op<"compare", [Pure]> {
  let summary = "elementwise comparison with numpy broadcasting, to i1";
  let description = [{
    `result = lhs kind rhs` for `lt`, `le`, `gt`, `ge`, `eq`, `ne` (ordered
    for floats: comparisons with NaN are false, except `ne`). Operands share
    an element type and broadcast as in `frond.binary`; the result is `i1`.

    ```mlir
    %m = frond.compare ge %t, %src
        : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Frond_CompareKindAttr:$kind, Frond_NumTensor:$lhs,
                       Frond_NumTensor:$rhs);
  let results = (outs Frond_MaskTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_SelectOp : Frond_Op<"select", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "elementwise choice: cond ? true_value : false_value";
  let description = [{
    The three operands broadcast together as in numpy; the two values and
    the result share an element type.

    ```mlir
    %y = frond.select %m, %x, %zero
        : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Frond_MaskTensor:$cond, Frond_Tensor:$true_value,
                       Frond_Tensor:$false_value);
  let results = (outs Frond_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $true_value `,` $false_value attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_SoftcapOp : Frond_Op<"softcap", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "soft capping: cap · tanh(x / cap)";
  let description = [{
    Bounds values smoothly to `(-cap, cap)`; `cap > 0` (PALM's logit cap 30).

    ```mlir
    %l = frond.softcap %logits cap = 3.0e+01 : tensor<?x?x97xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input, F64Attr:$cap);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = "$input `cap` `=` $cap attr-dict `:` type($result)";
}

def Frond_ClampOp : Frond_Op<"clamp", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "elementwise clamp to [min, max]";
  let description = [{
    `result = min(max(input, min), max)`; either bound may be left out but
    not both, and `min ≤ max`. For integer tensors the bounds are converted
    to the element type (rounding towards zero).

    ```mlir
    %p = frond.clamp %x min = -1.0e+02 max = 1.0e+02 : tensor<?x5x64xf32>
    ```
  }];
  let arguments = (ins Frond_NumTensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let results = (outs Frond_NumTensor:$result);
  let assemblyFormat = [{
    $input (`min` `=` $min^)? (`max` `=` $max^)? attr-dict `:` type($result)
  }];
}

def Frond_SwigluOp : Frond_Op<"swiglu", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "fused gated unit: silu(gate) · up";
  let description = [{
    ```mlir
    %h = frond.swiglu %gate, %up : tensor<?x?x128xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$gate, Frond_FloatTensor:$up);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
  let hasVerifier = 0;
}

def Frond_CastOp : Frond_Op<"cast", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "element type conversion";
  let description = [{
    Same shape, new element type. Floats round to nearest even; integers to
    floats exactly when representable; floats to integers round towards
    zero; `i1` reads as 0/1; a conversion to `i1` is `x != 0`.

    ```mlir
    %f = frond.cast %x : tensor<?x?x64xbf16> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_Tensor:$input);
  let results = (outs Frond_Tensor:$result);
  let hasFolder = 1;
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Frond_FillOp : Frond_Op<"fill", [Pure]> {
  let summary = "a tensor with every element equal to `value`";
  let description = [{
    `dynamic_sizes` give the `?` extents of the result type, in order (as
    `tensor.empty` does). For static shapes `arith.constant dense<...>`
    works as well; a rank-0 fill broadcasts like a scalar.

    ```mlir
    %z = frond.fill 0.0 : f32 sizes(%b, %t) : tensor<?x?xf32>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value, Variadic<Index>:$dynamic_sizes);
  let results = (outs Frond_Tensor:$result);
  let assemblyFormat = [{
    $value (`sizes` `(` $dynamic_sizes^ `)`)? attr-dict `:` type($result)
  }];
}

def Frond_IotaOp : Frond_Op<"iota", [Pure]> {
  let summary = "indices along one dimension: result[i...] = i_dim";
  let description = [{
    Each element is its own index along `dim` (so `t` positions are
    `frond.iota dim = 1 sizes(%b, %t) : tensor<?x?xi64>`). `dynamic_sizes` give
    the `?` extents of the result type, in order.
  }];
  let arguments = (ins I64Attr:$dim, Variadic<Index>:$dynamic_sizes);
  let results = (outs Frond_NumTensor:$result);
  let assemblyFormat = [{
    `dim` `=` $dim (`sizes` `(` $dynamic_sizes^ `)`)? attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

def Frond_SliceOp : Frond_Op<"slice", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, AttrSizedOperandSegments]> {
  let summary = "a range of one dimension, with static, dynamic or per-sample bounds";
  let description = [{
    `result = input[..., start:end, ...]` along `dim`. Each bound is one of:

    - absent: `start` is 0, `end` is the extent of `dim`;
    - a static integer; a negative one counts from the end (Python), so
      `[-1:]` is the last position (BEAM's last-token gate);
    - an `index` value, the same for every sample;
    - a `[b]` tensor of `i64`/`i32` per-sample bounds (`dim ≠ 0`, samples
      along dimension 0): `result[b, i, ...] = input[b, start_b + i, ...]`
      for `start_b + i < end_b`, and `pad` (default zero) past the end of a
      sample. The extent along `dim` is the result type's (dynamic: the
      longest sample). `lm[:, src_len:]` left-aligns each sample's target.

    ```mlir
    %s = frond.slice %x[0 : 5] dim = 1
        : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
    %t = frond.slice %ids[%src_len :] dim = 1 pad = -100 : i64
        : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
    ```
  }];
  let arguments = (ins Frond_Tensor:$input,
                       Optional<Frond_SliceBound>:$start,
                       Optional<Frond_SliceBound>:$end,
                       I64Attr:$dim,
                       OptionalAttr<I64Attr>:$static_start,
                       OptionalAttr<I64Attr>:$static_end,
                       OptionalAttr<TypedAttrInterface>:$pad);
  let results = (outs Frond_Tensor:$result);
  let assemblyFormat = [{
    $input `[` custom<SliceBound>($start, $static_start) `:`
    custom<SliceBound>($end, $static_end) `]` `dim` `=` $dim
    (`pad` `=` $pad^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_ConcatOp : Frond_Op<"concat", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "concatenation along `dim`";
  let description = [{
    All inputs have the same rank and element type, and equal extents
    except along `dim`, where the result's extent is their sum.

    ```mlir
    %c = frond.concat %a, %b dim = 1
        : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Frond_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Frond_Tensor:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_CacheWriteOp : Frond_Op<"cache_write", [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "writes new positions into a preallocated cache, per sample";
  let description = [{
    `result` is `cache` with `update` written at each sample's own position
    along `dim`: `result[b, .., positions[b] + i, ..] = update[b, .., i, ..]`
    for every `i` below `update`'s extent along `dim`; every other element is
    `cache`'s. `cache` and `update` have the same rank, element type and
    extents except along `dim` (not 0: samples run along dimension 0);
    `positions : [b]`. A position past the cache's extent is undefined
    behaviour: the cache is sized for the longest sequence generated.

    This is how a one-token decode step appends its keys and values to a KV
    cache (`[b, h_kv, max_tokens, D]`, `dim = 2`). Lowered to one
    `tensor.insert_slice` per sample into the cache, which one-shot
    bufferization writes in place when nothing reads the old cache later (a
    function argument: the caller's buffer), so a step costs the new slice,
    not a copy of the cache.

    ```mlir
    %kc2 = frond.cache_write %k into %kc[%pos] dim = 2
        : (tensor<?x2x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?xi64>) -> tensor<?x2x?x16xf32>
    ```
  }];
  let arguments = (ins Frond_Tensor:$update, Frond_Tensor:$cache,
                       Frond_IdTensor:$positions, I64Attr:$dim);
  let results = (outs Frond_Tensor:$result);
  let assemblyFormat = [{
    $update `into` $cache `[` $positions `]` `dim` `=` $dim attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_SplitHeadsOp : Frond_Op<"split_heads", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "reshape [..., (h d)] to [..., h, d]";
  let description = [{
    Splits the last dimension into `heads` groups, head-major
    (einops `... (h d) -> ... h d`), with no data movement. Combine with
    `frond.transpose` to reach attention's `[b, h, t, D]` layout.

    ```mlir
    %q = frond.split_heads %x heads = 4
        : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins Frond_Tensor:$input, I64Attr:$heads);
  let results = (outs Frond_Tensor:$result);
  let hasFolder = 1;
  let assemblyFormat = [{
    $input `heads` `=` $heads attr-dict `:` type($input) `->` type($result)
  }];
}

def Frond_MergeHeadsOp : Frond_Op<"merge_heads", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "reshape [..., h, d] to [..., (h d)]";
  let description = [{
    The inverse of `frond.split_heads` (einops `... h d -> ... (h d)`).

    ```mlir
    %y = frond.merge_heads %o : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Frond_Tensor:$input);
  let results = (outs Frond_Tensor:$result);
  let hasFolder = 1;
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Frond_TransposeOp : Frond_Op<"transpose", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "permutation of dimensions";
  let description = [{
    `result` dimension `i` is `input` dimension `permutation[i]`.

    ```mlir
    %t = frond.transpose %x permutation = [0, 2, 1, 3]
        : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Frond_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Frond_Tensor:$result);
  let hasFolder = 1;
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions and losses
//===----------------------------------------------------------------------===//

def Frond_ReduceOp : Frond_Op<"reduce", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "sum, mean, max or min over some dimensions";
  let description = [{
    Reduces `input` over `dims` (strictly increasing, in range). The reduced
    dimensions are dropped, or kept with extent 1 under `keep_dims`. `mean`
    needs a float element type.

    ```mlir
    %m = frond.reduce mean %x dims = [2] keep_dims
        : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
    ```
  }];
  let arguments = (ins Frond_ReduceKindAttr:$kind, Frond_NumTensor:$input,
                       DenseI64ArrayAttr:$dims, UnitAttr:$keep_dims);
  let results = (outs Frond_NumTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $input `dims` `=` $dims (`keep_dims` $keep_dims^)? attr-dict
    `:` type($input) `->` type($result)
  }];
}

def Frond_CumsumOp : Frond_Op<"cumsum", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "inclusive prefix (or, `reverse`, suffix) sum along `dim`";
  let description = [{
    `result[..., t, ...] = Σ_{s ≤ t} input[..., s, ...]` (Palm's causal AFT);
    with `reverse`, `Σ_{s ≥ t}` (the gradient of a prefix sum).

    ```mlir
    %c = frond.cumsum %kv dim = 1 : tensor<?x?x4x16xf32>
    %g = frond.cumsum %dc dim = 1 reverse : tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins Frond_NumTensor:$input, I64Attr:$dim, UnitAttr:$reverse);
  let results = (outs Frond_NumTensor:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim (`reverse` $reverse^)? attr-dict `:` type($result)
  }];
}

def Frond_SoftmaxOp : Frond_Op<"softmax", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "softmax along `dim`";
  let description = [{
    `exp(x - max) / Σ exp(x - max)` along `dim`, accumulated in at least f32.

    ```mlir
    %p = frond.softmax %logits dim = 2 : tensor<?x?x97xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$input, I64Attr:$dim);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = "$input `dim` `=` $dim attr-dict `:` type($result)";
}

def Frond_CrossEntropyOp : Frond_Op<"cross_entropy", [Pure, DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>]> {
  let summary = "mean token cross-entropy of logits against integer targets";
  let description = [{
    `logits : [N..., V]`, `targets : [N...]` (`i64`/`i32`). The loss is the
    mean over positions whose target is not `ignore_index` (default -100;
    PLDR uses 0) of `-(1-ε) log p[target] - ε/V Σ_v log p[v]`, with
    `ε = label_smoothing` in `[0, 1]` and `p = softmax(logits)` computed in
    the result's precision. With `shift`, position `t` of the last `N`
    dimension predicts `targets[t + 1]` (`logits[..., :-1, :]` against
    `targets[..., 1:]`, the causal-LM convention); without it, `logits[t]`
    is scored against `targets[t]` (PALM's unshifted loss). No valid
    position gives NaN, as in PyTorch.

    ```mlir
    %l = frond.cross_entropy %logits, %targets {shift}
        : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$logits, Frond_IdTensor:$targets,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       UnitAttr:$shift);
  let results = (outs Frond_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` functional-type(operands, results)
  }];
}

include "frond/Dialect/Frond/IR/FrondGradientOps.td"

include "frond/Dialect/Frond/IR/FrondAttentionOps.td"

#endif // FROND_DIALECT_FROND_IR_FRONDOPS_TD
