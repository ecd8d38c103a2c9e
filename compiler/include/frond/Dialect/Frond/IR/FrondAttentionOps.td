//===- FrondAttentionOps.td - attention and its regions -----*- tablegen -*-===//
//
// The attention op (mask and score regions, kinds softmax, linear, AFT and
// power_law), its gradient op, and the terminator of its regions. Included
// by FrondOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDATTENTIONOPS_TD
#define FROND_DIALECT_FROND_IR_FRONDATTENTIONOPS_TD

include "frond/Dialect/Frond/IR/FrondDialect.td"
include "frond/Dialect/Frond/IR/FrondAttrs.td"
include "frond/Dialect/Frond/IR/FrondInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Frond_AttentionOp : Frond_Op<"attention", [
    DeclareOpInterfaceMethods<Frond_DifferentiableOpInterface>, AttrSizedOperandSegments, IsolatedFromAbove, RecursiveMemoryEffects,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "multi-head attention with mask and score regions";
  let description = [{
    Operands: `q : [b, h, tq, D]`, `k : [b, hkv, tk, D]`,
    `v : [b, hkv, tk, Dv]`; the result is `[b, h, tq, Dv]`. Query head `i`
    reads key/value head `i / (h / hkv)` (grouped/multi-query attention,
    HF `repeat_kv`), so `h % hkv == 0`.

    **Regions.** `mask` decides which keys a query sees; `score` rewrites a
    scaled score. Both are optional (empty: every key visible / identity)
    and are pure scalar functions of the indices:

    ```
    mask  ^bb0(%b: index, %h: index, %q: index, %k: index, %c...: C...):
            ... frond.yield %visible : i1
    score ^bb0(%s: f32, %b: index, %h: index, %q: index, %k: index, %c...: C...):
            ... frond.yield %s2 : f32
    ```

    `%c...` are the `captures` operands, passed in order as trailing block
    arguments of both regions (e.g. a per-sample `src_len : [b]` or
    learnable ALiBi slopes `[h]`, read with `tensor.extract`). The op is
    `IsolatedFromAbove`: regions see nothing else, so the values a mask or
    score depends on (and that gradients flow to) are exactly the
    operands. The score type is f32, or f64 when `q` is f64.

    **Kinds.** Let `s(b,h,q,k) = score(scale · q·k)` and `m = mask(...)`:

    - `softmax`: `out = Σ_k softmax_k(s where m else -inf) · v_k`. A row
      with no visible key yields zeros.
    - `linear`: normalised linear attention (feature maps applied to `q`
      and `k` beforehand): `out = Σ_k m·s·v_k / Σ_k m·s`.
    - `relaxed_linear`: the dual form, unnormalised: `out = Σ_k m·s·v_k`.
    - `aft` (Palm's causal AFT): elementwise over channels, `Dv == D`:
      `out = scale · q ⊙ Σ_k m·w·(k_k ⊙ v_k)` where `w = score(1.0, ...)`
      is a per-pair weight (1 when `score` is empty). Palm writes
      `relu(q)` and `sigmoid(k)` before the op with a causal mask.
    - `power_law` (PLDR): like `softmax` with `s = score(scale · q G kᵀ)`,
      where `G = metric[b, h] : [D, D]` (PLDR's G_LM) is the extra
      `metric` operand `[b, h, D, D]`; `G = I` is plain softmax attention.
      `metric` is required by this kind and rejected by the others.

    `kv_source` marks partial attention: K/V were computed from a source
    sequence (PALM's Fp(source)), so `k` indexes source positions, not the
    query's sequence, and a cache may compute K/V once at prefill.

    ```mlir
    %o = frond.attention softmax %q, %k, %v scale = 2.500000e-01
           captures(%src_len : tensor<?xi64>)
           : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
           -> tensor<?x4x?x16xf32>
           mask {
           ^bb0(%b: index, %h: index, %i: index, %j: index, %len: tensor<?xi64>):
             ...
             frond.yield %visible : i1
           }
    ```
  }];
  let arguments = (ins Frond_AttentionKindAttr:$kind,
                       Frond_FloatTensor:$q, Frond_FloatTensor:$k,
                       Frond_FloatTensor:$v,
                       Optional<Frond_FloatTensor>:$metric,
                       Variadic<AnyType>:$captures,
                       F64Attr:$scale, UnitAttr:$kv_source);
  let results = (outs Frond_FloatTensor:$result);
  let regions = (region MaxSizedRegion<1>:$mask, MaxSizedRegion<1>:$score);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $q `,` $k `,` $v (`metric` $metric^ `:` type($metric))?
    `scale` `=` $scale (`kv_source` $kv_source^)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    attr-dict `:` type($q) `,` type($k) `,` type($v) `->` type($result)
    (`mask` $mask^)? (`score` $score^)?
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The type of scores in the `score` region: f64 for f64 inputs, else f32.
    static ::mlir::Type getScoreType(::mlir::Type elementType);
    ::mlir::Type getScoreType() {
      return getScoreType(getQ().getType().getElementType());
    }
  }];
}

def Frond_AttentionGradOp : Frond_Op<"attention_grad", [
    AttrSizedOperandSegments, AttrSizedResultSegments, IsolatedFromAbove, RecursiveMemoryEffects,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "the gradients of an attention op with respect to its operands";
  let description = [{
    Built by the gradient rule of `frond.attention` (same kind, scale,
    metric, captures and regions): given the forward's operands, its output
    `out` and the output's gradient `dout`, returns `dq`, `dk`, `dv` (the
    types of `q`, `k`, `v`; grouped query heads add into their shared K/V
    head), `dmetric` when there is a `metric` (`power_law`), and one
    `capture_grads` result per float-tensor capture, in capture order
    (integer captures such as `src_len` get none). A capture's gradient
    sums, over every visible (query, key) pair, dL/ds' · ∂score/∂c for each
    element `c` the `score` region reads with `tensor.extract` (the mask is
    not differentiable; a capture only the mask reads gets zeros).

    Lowered (`-frond-lower-attention`) tile by tile, never with a `[tq, tk]`
    buffer beyond one tile: per query tile a first sweep over the key tiles
    recomputes the row statistic (softmax/power_law: the log-sum-exp;
    linear: Σ m·s), a second recomputes each probability tile and
    accumulates the gradients; `aft` needs one sweep. The `score` region's
    derivatives (with respect to `s`, and to captured elements) are taken
    by forward mode on its scalar body. Kinds: all.

    ```mlir
    %g:3 = frond.attention_grad softmax %q, %k, %v, %o, %do scale = 0.25
        : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>,
          tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
        -> tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
        mask { ... }
    %a:4 = frond.attention_grad softmax %q, %k, %v, %o, %do scale = 0.25
        captures(%slopes : tensor<4xf32>) : ...
        -> tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
        capture_grads(tensor<4xf32>)
        score { ... }
    ```
  }];
  let arguments = (ins Frond_AttentionKindAttr:$kind,
                       Frond_FloatTensor:$q, Frond_FloatTensor:$k,
                       Frond_FloatTensor:$v,
                       Optional<Frond_FloatTensor>:$metric,
                       Frond_FloatTensor:$out, Frond_FloatTensor:$dout,
                       Variadic<AnyType>:$captures,
                       F64Attr:$scale, UnitAttr:$kv_source);
  let results = (outs Frond_FloatTensor:$dq, Frond_FloatTensor:$dk,
                      Frond_FloatTensor:$dv,
                      Optional<Frond_FloatTensor>:$dmetric,
                      Variadic<Frond_FloatTensor>:$capture_grads);
  let regions = (region MaxSizedRegion<1>:$mask, MaxSizedRegion<1>:$score);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $q `,` $k `,` $v (`metric` $metric^ `:` type($metric))?
    `,` $out `,` $dout
    `scale` `=` $scale (`kv_source` $kv_source^)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    attr-dict `:` type($q) `,` type($k) `,` type($v) `,` type($out) `,` type($dout)
    `->` type($dq) `,` type($dk) `,` type($dv)
    (`metric_grad` type($dmetric)^)? (`capture_grads` `(` type($capture_grads)^ `)`)?
    (`mask` $mask^)? (`score` $score^)?
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether `capture` (one of the captures) gets a `capture_grads`
    /// result: a ranked tensor of floats.
    static bool isDifferentiableCapture(::mlir::Value capture);
    /// Checks that the `score` region reads each float-tensor capture only
    /// with `tensor.extract` (the reads its gradient goes through); the
    /// error points at another use.
    static ::llvm::LogicalResult verifyCaptureReads(::mlir::ValueRange captures,
                                                    ::mlir::Region &score);
  }];
}

def Frond_YieldOp : Frond_Op<"yield", [Pure, Terminator,
                                       ParentOneOf<["AttentionOp", "AttentionGradOp"]>]> {
  let summary = "terminator of the attention regions";
  let description = [{
    Returns the mask bit (`i1`) or the new score from a region of
    `frond.attention`; the parent op checks the type.
  }];
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
  let hasVerifier = 0;
}

#endif // FROND_DIALECT_FROND_IR_FRONDATTENTIONOPS_TD
