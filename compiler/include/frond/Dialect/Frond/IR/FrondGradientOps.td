//===- FrondGradientOps.td - ops the gradient rules build ---*- tablegen -*-===//
//
// Ops that exist for the reverse-mode rules (-frond-autodiff): each is the
// vector-Jacobian product of one forward op that no composition of forward
// ops expresses as well. Included by FrondOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDGRADIENTOPS_TD
#define FROND_DIALECT_FROND_IR_FRONDGRADIENTOPS_TD

include "frond/Dialect/Frond/IR/FrondDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Frond_EmbeddingGradOp : Frond_Op<"embedding_grad", [Pure]> {
  let summary = "the gradient of an embedding's table: rows summed by id";
  let description = [{
    `result[v, :] = Σ_{i : ids[i] = v} grad[i, :]` with `ids : [N...]`,
    `grad : [N..., D]` and the result the table's type `[V, D]`. Ids
    outside `[0, V)` are undefined behaviour.

    ```mlir
    %dt = frond.embedding_grad %ids, %g
        : (tensor<?x?xi64>, tensor<?x?x64xf32>) -> tensor<97x64xf32>
    ```
  }];
  let arguments = (ins Frond_IdTensor:$ids, Frond_FloatTensor:$grad);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $grad attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_CrossEntropyGradOp : Frond_Op<"cross_entropy_grad", [Pure]> {
  let summary = "the gradient of cross_entropy with respect to its logits";
  let description = [{
    With the attributes of the `cross_entropy` it differentiates and the
    loss's gradient `grad` (rank 0): at every scored position with a valid
    target, `grad · (p - (1-ε) onehot(target) - ε/V) / count`, where `count`
    is the number of valid positions; zero elsewhere (ignored targets, and
    the last position of the last `N` dimension under `shift`).

    ```mlir
    %dl = frond.cross_entropy_grad %logits, %targets, %g {shift}
        : (tensor<?x?x97xf32>, tensor<?x?xi64>, tensor<f32>) -> tensor<?x?x97xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$logits, Frond_IdTensor:$targets,
                       Frond_ScalarFloatTensor:$grad,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       UnitAttr:$shift);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets `,` $grad attr-dict `:` functional-type(operands, results)
  }];
}

def Frond_SliceGradOp : Frond_Op<"slice_grad", [Pure, AttrSizedOperandSegments]> {
  let summary = "the gradient of a slice: scattered back into zeros of the input's shape";
  let description = [{
    With the bounds and `dim` of the `frond.slice` it differentiates,
    `grad` (the slice's type) goes back where the slice read it:
    `result[..., start + i, ...] = grad[..., i, ...]` along `dim` for
    `start + i < end`, zero elsewhere. Per-sample bounds (`[b]` tensors)
    work as in `frond.slice`; positions the slice padded past a sample's
    end contribute nothing. `input` (the slice's input) only gives the
    result's type and extents.

    ```mlir
    %dx = frond.slice_grad %g into %x[%src_len :] dim = 1
        : (tensor<?x?x97xf32>, tensor<?x?x97xf32>, tensor<?xi64>) -> tensor<?x?x97xf32>
    ```
  }];
  let arguments = (ins Frond_FloatTensor:$grad, Frond_FloatTensor:$input,
                       Optional<Frond_SliceBound>:$start,
                       Optional<Frond_SliceBound>:$end,
                       I64Attr:$dim,
                       OptionalAttr<I64Attr>:$static_start,
                       OptionalAttr<I64Attr>:$static_end);
  let results = (outs Frond_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `into` $input `[` custom<SliceBound>($start, $static_start) `:`
    custom<SliceBound>($end, $static_end) `]` `dim` `=` $dim
    attr-dict `:` functional-type(operands, results)
  }];
}

#endif // FROND_DIALECT_FROND_IR_FRONDGRADIENTOPS_TD
