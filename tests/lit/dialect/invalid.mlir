// RUN: frond-opt %s -split-input-file -verify-diagnostics

// One or more error cases per frond verifier. Shapes in messages are those
// of the operands, so each error names what was expected and what was found.

func.func @embedding_table_rank(%ids: tensor<?x?xi64>, %t: tensor<97xf32>) {
  // expected-error @+1 {{'frond.embedding' op expects table of rank 2 [V, D], found 'tensor<97xf32>'}}
  %0 = frond.embedding %ids, %t : (tensor<?x?xi64>, tensor<97xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @embedding_result(%ids: tensor<?x?xi64>, %t: tensor<97x64xf32>) {
  // expected-error @+1 {{result type 'tensor<?x64xf32>' does not match the type inferred from ids [N...] and table [V, D] as [N..., D]: expected 'tensor<?x?x64xf32>'}}
  %0 = frond.embedding %ids, %t : (tensor<?x?xi64>, tensor<97x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @linear_in_features(%x: tensor<?x?x64xf32>, %w: tensor<128x32xf32>) {
  // expected-error @+1 {{'frond.linear' op expects the input features (in) to match: input dim 2 is 64 but weight dim 1 is 32 (input is 'tensor<?x?x64xf32>', weight is 'tensor<128x32xf32>')}}
  %0 = frond.linear %x, %w : (tensor<?x?x64xf32>, tensor<128x32xf32>) -> tensor<?x?x128xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{expects the output features (out) to match: bias dim 0 is 64 but weight dim 0 is 128}}
  %0 = frond.linear %x, %w, %b : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<64xf32>) -> tensor<?x128xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{result type 'tensor<?x127xf32>' does not match the type inferred from input [N..., in] and weight [out, in]: expected 'tensor<?x128xf32>'}}
  %0 = frond.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x127xf32>
  return
}

// -----

func.func @linear_element_type(%x: tensor<?x64xbf16>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{expects input and weight to have the same element type, found 'tensor<?x64xbf16>' and 'tensor<128x64xf32>'}}
  %0 = frond.linear %x, %w : (tensor<?x64xbf16>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return
}

// -----

func.func @lowrank_rank(%x: tensor<?x64xf32>, %w1: tensor<16x64xf32>, %w2: tensor<192x8xf32>) {
  // expected-error @+1 {{'frond.lowrank_linear' op expects the rank (r) to match: w1 dim 0 is 16 but w2 dim 1 is 8}}
  %0 = frond.lowrank_linear relu2 %x, %w1, %w2 : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<192x8xf32>) -> tensor<?x192xf32>
  return
}

// -----

func.func @lowrank_unknown_activation(%x: tensor<?x64xf32>, %w1: tensor<16x64xf32>, %w2: tensor<192x16xf32>) {
  // expected-error @+1 {{unknown activation 'tanh'}}
  %0 = frond.lowrank_linear tanh %x, %w1, %w2 : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<192x16xf32>) -> tensor<?x192xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'frond.rms_norm' op expects the normalised features (D) to match: weight dim 0 is 32 but input dim 2 is 64}}
  %0 = frond.rms_norm %x weight %w eps = 1.0e-6 : (tensor<?x?x64xf32>, tensor<32xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @rms_norm_eps(%x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.rms_norm' op expects eps >= 0, found -1}}
  %0 = frond.rms_norm %x eps = -1.0 : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<?x?x64xf32>, %b: tensor<1x64xf32>) {
  // expected-error @+1 {{'frond.layer_norm' op expects bias of rank 1 [D], found 'tensor<1x64xf32>'}}
  %0 = frond.layer_norm %x bias %b eps = 1.0e-5 : (tensor<?x?x64xf32>, tensor<1x64xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<?x?x64xf32>, %p: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.rope' op expects input of rank 4 [b, t, h, D], found 'tensor<?x?x64xf32>'}}
  %0 = frond.rope half %x, %p theta = 10000.0 scale = 1.0 : (tensor<?x?x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @rope_positions(%x: tensor<2x8x4x16xf32>, %p: tensor<2x7xi64>) {
  // expected-error @+1 {{expects the sequence length (t) to match: input dim 1 is 8 but positions dim 1 is 7}}
  %0 = frond.rope half %x, %p theta = 10000.0 scale = 1.0 : (tensor<2x8x4x16xf32>, tensor<2x7xi64>) -> tensor<2x8x4x16xf32>
  return
}

// -----

func.func @rope_truncated_dim(%x: tensor<?x?x4x6xf32>, %p: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.rope' op expects the head dim D of 'tensor<?x?x4x6xf32>' to be a multiple of 4 for the 'truncated' layout, found 6}}
  %0 = frond.rope truncated %x, %p theta = 1024.0 scale = 1.0 : (tensor<?x?x4x6xf32>, tensor<?x?xi64>) -> tensor<?x?x4x6xf32>
  return
}

// -----

func.func @rope_theta(%x: tensor<?x?x4x16xf32>, %p: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.rope' op expects theta > 0, found 0}}
  %0 = frond.rope half %x, %p theta = 0.0 scale = 1.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<4x16x8xf32>, %b: tensor<4x16x16xf32>) {
  // expected-error @+1 {{'frond.matmul' op expects the contracted dim (k) to match: lhs dim 2 is 8 but rhs dim 1 is 16}}
  %0 = frond.matmul %a, %b : (tensor<4x16x8xf32>, tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<3x16x16xf32>, %b: tensor<2x4x16x16xf32>) {
  // expected-error @+1 {{'frond.matmul' op expects broadcast-compatible batch dims, but 'tensor<3x16x16xf32>' and 'tensor<2x4x16x16xf32>' differ at batch dim 1 from the right}}
  %0 = frond.matmul %a, %b : (tensor<3x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  return
}

// -----

func.func @unary_int(%x: tensor<4xi64>) {
  // expected-error @+1 {{'frond.unary' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = frond.unary exp %x : tensor<4xi64>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<?x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'frond.binary' op expects broadcast-compatible operands, but lhs 'tensor<?x3xf32>' and rhs 'tensor<4xf32>' differ at dim 1 from the right (extents must be equal or 1)}}
  %0 = frond.binary add %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @binary_result(%a: tensor<?x1xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{result type 'tensor<?x1xf32>' does not match the type inferred from broadcasting lhs and rhs: expected 'tensor<?x4xf32>'}}
  %0 = frond.binary mul %a, %b : (tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x1xf32>
  return
}

// -----

func.func @binary_pow_int(%a: tensor<4xi64>, %b: tensor<4xi64>) {
  // expected-error @+1 {{'frond.binary' op expects float operands for 'pow', found 'tensor<4xi64>'}}
  %0 = frond.binary pow %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return
}

// -----

func.func @binary_mask_arithmetic(%a: tensor<4xi1>, %b: tensor<4xi1>) {
  // expected-error @+1 {{'frond.binary' op expects numeric operands for 'add', found 'tensor<4xi1>' (use 'and'/'or' on masks)}}
  %0 = frond.binary add %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @binary_and_float(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'frond.binary' op expects integer or i1 operands for 'and', found 'tensor<4xf32>'}}
  %0 = frond.binary and %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{expects lhs and rhs to have the same element type, found 'tensor<4xf32>' and 'tensor<4xf16>'}}
  %0 = frond.binary add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_result(%a: tensor<1x?xi64>, %b: tensor<?x1xi64>) {
  // expected-error @+1 {{'frond.compare' op result type 'tensor<?xi1>' does not match the type inferred from broadcasting lhs and rhs: expected 'tensor<?x?xi1>'}}
  %0 = frond.compare lt %a, %b : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?xi1>
  return
}

// -----

func.func @select_broadcast(%c: tensor<2x8xi1>, %a: tensor<2x8xf32>, %b: tensor<3x1xf32>) {
  // expected-error @+1 {{'frond.select' op expects broadcast-compatible operands, but cond 'tensor<2x8xi1>' and false_value 'tensor<3x1xf32>' differ at dim 2 from the right}}
  %0 = frond.select %c, %a, %b : (tensor<2x8xi1>, tensor<2x8xf32>, tensor<3x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @softcap_cap(%x: tensor<4xf32>) {
  // expected-error @+1 {{'frond.softcap' op expects cap > 0, found -30}}
  %0 = frond.softcap %x cap = -30.0 : tensor<4xf32>
  return
}

// -----

func.func @clamp_no_bound(%x: tensor<4xf32>) {
  // expected-error @+1 {{'frond.clamp' op expects at least one of 'min' and 'max'}}
  %0 = frond.clamp %x : tensor<4xf32>
  return
}

// -----

func.func @clamp_order(%x: tensor<4xf32>) {
  // expected-error @+1 {{'frond.clamp' op expects min <= max, found min = 1 and max = -1}}
  %0 = frond.clamp %x min = 1.0 max = -1.0 : tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<?x64xbf16>) {
  // expected-error @+1 {{'frond.cast' op result type 'tensor<?x32xf32>' does not match the type inferred from the input (a cast keeps the shape): expected 'tensor<?x64xf32>'}}
  %0 = frond.cast %x : tensor<?x64xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @fill_value_type(%b: index) {
  // expected-error @+1 {{'frond.fill' op expects the value to have the element type of 'tensor<?xf32>', found 'f64'}}
  %0 = frond.fill 0.0 : f64 sizes(%b) : tensor<?xf32>
  return
}

// -----

func.func @fill_sizes(%b: index) {
  // expected-error @+1 {{'frond.fill' op expects one dynamic size per '?' in 'tensor<?x?xf32>' (2), found 1}}
  %0 = frond.fill 0.0 : f32 sizes(%b) : tensor<?x?xf32>
  return
}

// -----

func.func @iota_dim() {
  // expected-error @+1 {{'frond.iota' op expects dim in [0, 2) for 'tensor<4x8xi64>', found 2}}
  %0 = frond.iota dim = 2 : tensor<4x8xi64>
  return
}

// -----

func.func @slice_range(%x: tensor<2x10x64xf32>) {
  // expected-error @+1 {{'frond.slice' op slice [4:12] is out of range for dim 1 of extent 10 in 'tensor<2x10x64xf32>'}}
  %0 = frond.slice %x[4 : 12] dim = 1 : (tensor<2x10x64xf32>) -> tensor<2x8x64xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.slice' op result type 'tensor<?x4x64xf32>' does not match the type inferred from the input and the slice bounds: expected 'tensor<?x5x64xf32>'}}
  %0 = frond.slice %x[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x4x64xf32>
  return
}

// -----

func.func @slice_per_sample_dim0(%x: tensor<?x?xi64>, %len: tensor<?xi64>) {
  // expected-error @+1 {{'frond.slice' op expects per-sample bounds ('tensor<?xi64>') to slice a dim other than the sample dim 0}}
  %0 = frond.slice %x[%len :] dim = 0 : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
  return
}

// -----

func.func @slice_per_sample_batch(%x: tensor<4x?xi64>, %len: tensor<3xi64>) {
  // expected-error @+1 {{'frond.slice' op expects the samples (b) to match: start dim 0 is 3 but input dim 0 is 4}}
  %0 = frond.slice %x[%len :] dim = 1 : (tensor<4x?xi64>, tensor<3xi64>) -> tensor<4x?xi64>
  return
}

// -----

func.func @slice_pad(%x: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.slice' op expects 'pad' only with per-sample bounds}}
  %0 = frond.slice %x[1 :] dim = 1 pad = -100 : i64 : (tensor<?x?xi64>) -> tensor<?x?xi64>
  return
}

// -----

func.func @slice_both_forms(%x: tensor<?x?xf32>, %s: index) {
  // expected-error @+1 {{'frond.slice' op expects start as a value or an integer, not both}}
  %0 = "frond.slice"(%x, %s) <{dim = 1 : i64, static_start = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<?x?xf32>, index) -> tensor<?x?xf32>
  return
}

// -----

func.func @concat_extents(%a: tensor<2x5x64xf32>, %b: tensor<2x5x32xf32>) {
  // expected-error @+1 {{'frond.concat' op expects the extents outside 'dim' to match: input 0 dim 2 is 64 but input 1 dim 2 is 32}}
  %0 = frond.concat %a, %b dim = 1 : (tensor<2x5x64xf32>, tensor<2x5x32xf32>) -> tensor<2x10x64xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<2x5x64xf32>, %b: tensor<2x3x64xf32>) {
  // expected-error @+1 {{'frond.concat' op result type 'tensor<2x10x64xf32>' does not match the type inferred from the inputs, summed along 'dim': expected 'tensor<2x8x64xf32>'}}
  %0 = frond.concat %a, %b dim = 1 : (tensor<2x5x64xf32>, tensor<2x3x64xf32>) -> tensor<2x10x64xf32>
  return
}

// -----

func.func @split_heads_divisible(%x: tensor<?x?x66xf32>) {
  // expected-error @+1 {{'frond.split_heads' op expects the last dim of 'tensor<?x?x66xf32>' to be divisible by heads = 4}}
  %0 = frond.split_heads %x heads = 4 : tensor<?x?x66xf32> -> tensor<?x?x4x16xf32>
  return
}

// -----

func.func @merge_heads_result(%x: tensor<?x?x4x16xf32>) {
  // expected-error @+1 {{'frond.merge_heads' op result type 'tensor<?x?x16xf32>' does not match the type inferred from merging the input's last two dims: expected 'tensor<?x?x64xf32>'}}
  %0 = frond.merge_heads %x : tensor<?x?x4x16xf32> -> tensor<?x?x16xf32>
  return
}

// -----

func.func @transpose_permutation(%x: tensor<?x?x4x16xf32>) {
  // expected-error @+1 {{'frond.transpose' op expects a permutation of [0, 4) for 'tensor<?x?x4x16xf32>', found [0, 2, 2, 3]}}
  %0 = frond.transpose %x permutation = [0, 2, 2, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x4x16xf32>
  return
}

// -----

func.func @reduce_dims_order(%x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.reduce' op expects strictly increasing dims, found [2, 1]}}
  %0 = frond.reduce sum %x dims = [2, 1] : tensor<?x?x64xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_mean_int(%x: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.reduce' op expects a float input for 'mean', found 'tensor<?x?xi64>'}}
  %0 = frond.reduce mean %x dims = [1] : tensor<?x?xi64> -> tensor<?xi64>
  return
}

// -----

func.func @reduce_result(%x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.reduce' op result type 'tensor<?x?xf32>' does not match the type inferred from reducing the input (keep_dims): expected 'tensor<?x?x1xf32>'}}
  %0 = frond.reduce max %x dims = [2] keep_dims : tensor<?x?x64xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @cumsum_dim(%x: tensor<?x?xf32>) {
  // expected-error @+1 {{'frond.cumsum' op expects dim in [0, 2) for 'tensor<?x?xf32>', found 3}}
  %0 = frond.cumsum %x dim = 3 : tensor<?x?xf32>
  return
}

// -----

func.func @softmax_dim(%x: tensor<?x?xf32>) {
  // expected-error @+1 {{'frond.softmax' op expects dim in [0, 2) for 'tensor<?x?xf32>', found -1}}
  %0 = frond.softmax %x dim = -1 : tensor<?x?xf32>
  return
}

// -----

func.func @cross_entropy_rank(%l: tensor<?x?x97xf32>, %t: tensor<?xi64>) {
  // expected-error @+1 {{'frond.cross_entropy' op expects targets [N...] to have one dim fewer than logits [N..., V], found 'tensor<?xi64>' and 'tensor<?x?x97xf32>'}}
  %0 = frond.cross_entropy %l, %t : (tensor<?x?x97xf32>, tensor<?xi64>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_positions(%l: tensor<2x8x97xf32>, %t: tensor<2x9xi64>) {
  // expected-error @+1 {{'frond.cross_entropy' op expects the positions (N...) to match: targets dim 1 is 9 but logits dim 1 is 8}}
  %0 = frond.cross_entropy %l, %t : (tensor<2x8x97xf32>, tensor<2x9xi64>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_smoothing(%l: tensor<?x?x97xf32>, %t: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.cross_entropy' op expects label_smoothing in [0, 1], found 1.5}}
  %0 = frond.cross_entropy %l, %t {label_smoothing = 1.5} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  return
}

// -----

func.func @attention_head_groups(%q: tensor<?x6x?x16xf32>, %k: tensor<?x4x?x16xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the query heads (h = 6) to be a multiple of the key/value heads (hkv = 4): q is 'tensor<?x6x?x16xf32>', k is 'tensor<?x4x?x16xf32>'}}
  %0 = frond.attention softmax %q, %k, %k scale = 0.25 : tensor<?x6x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x6x?x16xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x8xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the head dim (D) to match: q dim 3 is 16 but k dim 3 is 8 (q is 'tensor<?x4x?x16xf32>', k is 'tensor<?x4x?x8xf32>')}}
  %0 = frond.attention softmax %q, %k, %k scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x8x16xf32>, %v: tensor<?x4x9x16xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the key length (tk) to match: k dim 2 is 8 but v dim 2 is 9}}
  %0 = frond.attention softmax %q, %k, %v scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x4x8x16xf32>, tensor<?x4x9x16xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<?x?x16xf32>, %k: tensor<?x4x?x16xf32>) {
  // expected-error @+1 {{'frond.attention' op expects q of rank 4 [b, h, tq, D], found 'tensor<?x?x16xf32>'}}
  %0 = frond.attention softmax %q, %k, %k scale = 0.25 : tensor<?x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) {
  // expected-error @+1 {{'frond.attention' op result type 'tensor<?x4x?x16xf32>' does not match the type inferred from q [b, h, tq, D] and v [b, hkv, tk, Dv]: expected 'tensor<?x4x?x8xf32>'}}
  %0 = frond.attention softmax %q, %k, %v scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_aft_dims(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x8xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the head dims for 'aft' (D == Dv) to match: q dim 3 is 16 but v dim 3 is 8}}
  %0 = frond.attention aft %q, %k, %v scale = 1.0 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return
}

// -----

func.func @attention_power_law_needs_metric(%q: tensor<?x4x?x16xf32>) {
  // expected-error @+1 {{'frond.attention' op expects a 'metric' operand G [b, h, D, D] for 'power_law'}}
  %0 = frond.attention power_law %q, %q, %q scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_metric_on_softmax(%q: tensor<?x4x?x16xf32>, %g: tensor<?x4x16x16xf32>) {
  // expected-error @+1 {{'frond.attention' op takes a 'metric' operand only for 'power_law', not for 'softmax'}}
  %0 = frond.attention softmax %q, %q, %q metric %g : tensor<?x4x16x16xf32> scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_metric_shape(%q: tensor<?x4x?x16xf32>, %g: tensor<?x4x16x8xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the head dim (D) to match: metric dim 3 is 8 but k dim 3 is 16}}
  %0 = frond.attention power_law %q, %q, %q metric %g : tensor<?x4x16x8xf32> scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return
}

// -----

func.func @attention_mask_arity(%q: tensor<?x4x?x16xf32>, %len: tensor<?xi64>) {
  // expected-error @+1 {{'frond.attention' op expects the 'mask' region to take 5 arguments (b: index, h: index, q: index, k: index, then one per capture: 1), found 4}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25 captures(%len : tensor<?xi64>)
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi ule, %j, %i : index
        frond.yield %c : i1
      }
  return
}

// -----

func.func @attention_mask_arg_type(%q: tensor<?x4x?x16xf32>) {
  // expected-note @+1 {{in this attention op}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      // expected-error @+1 {{'frond.attention' 'mask' region argument #3 (k) must be 'index', found 'i64'}}
      ^bb0(%b: index, %h: index, %i: index, %j: i64):
        %t = arith.constant true
        frond.yield %t : i1
      }
  return
}

// -----

func.func @attention_capture_arg_type(%q: tensor<?x4x?x16xf32>, %len: tensor<?xi64>) {
  // expected-note @+1 {{in this attention op}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25 captures(%len : tensor<?xi64>)
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      // expected-error @+1 {{'frond.attention' 'mask' region argument #4 (capture #0) must be 'tensor<?xi64>', found 'tensor<?xi32>'}}
      ^bb0(%b: index, %h: index, %i: index, %j: index, %l: tensor<?xi32>):
        %t = arith.constant true
        frond.yield %t : i1
      }
  return
}

// -----

func.func @attention_mask_yield_type(%q: tensor<?x4x?x16xf32>) {
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %z = arith.constant 0.0 : f32
        // expected-error @+1 {{'frond.yield' op in the 'mask' region must yield 'i1', found 'f32'}}
        frond.yield %z : f32
      }
  return
}

// -----

func.func @attention_score_arg_type(%q: tensor<?x4x?x16xbf16>) {
  // expected-note @+1 {{in this attention op}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xbf16>, tensor<?x4x?x16xbf16>, tensor<?x4x?x16xbf16> -> tensor<?x4x?x16xbf16>
      score {
      // expected-error @+1 {{'frond.attention' 'score' region argument #0 (s) must be 'f32', found 'bf16'}}
      ^bb0(%s: bf16, %b: index, %h: index, %i: index, %j: index):
        frond.yield %s : bf16
      }
  return
}

// -----

func.func @attention_score_yield_type(%q: tensor<?x4x?x16xf64>) {
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf64>, tensor<?x4x?x16xf64>, tensor<?x4x?x16xf64> -> tensor<?x4x?x16xf64>
      score {
      ^bb0(%s: f64, %b: index, %h: index, %i: index, %j: index):
        %f = arith.truncf %s : f64 to f32
        // expected-error @+1 {{'frond.yield' op in the 'score' region must yield 'f64', found 'f32'}}
        frond.yield %f : f32
      }
  return
}

// -----

func.func @attention_mask_without_yield(%q: tensor<?x4x?x16xf32>) {
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        // expected-error @+1 {{block with no terminator}}
        %c = arith.cmpi ule, %j, %i : index
      }
  return
}

// -----

func.func @attention_score_arity(%q: tensor<?x4x?x16xf32>) {
  // expected-error @+1 {{'frond.attention' op expects the 'score' region to take 5 arguments (s: f32, b: index, h: index, q: index, k: index, then one per capture: 0), found 4}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index):
        frond.yield %s : f32
      }
  return
}

// -----

func.func @attention_isolated(%q: tensor<?x4x?x16xf32>, %lim: index) {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = frond.attention softmax %q, %q, %q scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        // expected-error @+1 {{using value defined outside the region}}
        %c = arith.cmpi ult, %j, %lim : index
        frond.yield %c : i1
      }
  return
}

// -----

func.func @yield_outside_attention(%x: i1) {
  // expected-error @+1 {{'frond.yield' op expects parent op to be one of 'frond.attention, frond.attention_grad'}}
  frond.yield %x : i1
}

// -----

func.func @attention_grad_metric(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'frond.attention_grad' op takes a 'metric' operand exactly when the kind is 'power_law' (kind 'power_law', without a metric)}}
  %dq, %dk, %dv = frond.attention_grad power_law %q, %q, %q, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
  return %dq : tensor<1x1x4x8xf32>
}

// -----

func.func @attention_grad_metric_grad(%q: tensor<1x1x4x8xf32>, %g: tensor<1x1x8x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'frond.attention_grad' op expects a 'metric_grad' result exactly when there is a 'metric' operand}}
  %dq, %dk, %dv = frond.attention_grad power_law %q, %q, %q metric %g : tensor<1x1x8x8xf32>, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
  return %dq : tensor<1x1x4x8xf32>
}

// -----

// One capture gradient per float-tensor capture: the i64 src_len gets none.
func.func @attention_grad_capture_count(%q: tensor<1x1x4x8xf32>, %slopes: tensor<1xf32>, %len: tensor<1xi64>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'frond.attention_grad' op expects one 'capture_grads' result per float-tensor capture (1), found 2}}
  %g:5 = frond.attention_grad softmax %q, %q, %q, %q, %q scale = 1.0
      captures(%slopes, %len : tensor<1xf32>, tensor<1xi64>)
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> capture_grads(tensor<1xf32>, tensor<1xf32>)
  return %g#0 : tensor<1x1x4x8xf32>
}

// -----

func.func @attention_grad_capture_type(%q: tensor<1x1x4x8xf32>, %slopes: tensor<1xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'frond.attention_grad' op expects capture gradient #0 to have its capture's type 'tensor<1xf32>', found 'tensor<2xf32>'}}
  %g:4 = frond.attention_grad softmax %q, %q, %q, %q, %q scale = 1.0
      captures(%slopes : tensor<1xf32>)
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> capture_grads(tensor<2xf32>)
  return %g#0 : tensor<1x1x4x8xf32>
}

// -----

func.func @attention_grad_types(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x5x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'frond.attention_grad' op expects each gradient to have its operand's type, found 'tensor<1x1x4x8xf32>' for 'tensor<1x1x5x8xf32>'}}
  %dq, %dk, %dv = frond.attention_grad softmax %q, %k, %k, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x5x8xf32>
  return %dq : tensor<1x1x4x8xf32>
}

// -----

func.func @embedding_grad_shape(%ids: tensor<?x?xi64>, %g: tensor<?x?x32xf32>) -> tensor<97x64xf32> {
  // expected-error @+1 {{'frond.embedding_grad' op}}
  %t = frond.embedding_grad %ids, %g : (tensor<?x?xi64>, tensor<?x?x32xf32>) -> tensor<97x64xf32>
  return %t : tensor<97x64xf32>
}

// -----

func.func @cross_entropy_grad_positions(%l: tensor<2x5x9xf32>, %t: tensor<2x4xi64>, %g: tensor<f32>) -> tensor<2x5x9xf32> {
  // expected-error @+1 {{'frond.cross_entropy_grad' op expects the positions (N...) to match: targets dim 1 is 4 but logits dim 1 is 5}}
  %d = frond.cross_entropy_grad %l, %t, %g : (tensor<2x5x9xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x5x9xf32>
  return %d : tensor<2x5x9xf32>
}

// -----

func.func @cache_write_sample_dim(%k: tensor<?x2xf32>, %cache: tensor<?x2xf32>, %pos: tensor<?xi64>) {
  // expected-error @+1 {{'frond.cache_write' op expects 'dim' other than the sample dim 0}}
  %0 = frond.cache_write %k into %cache[%pos] dim = 0 : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?xi64>) -> tensor<?x2xf32>
  return
}

// -----

func.func @cache_write_heads(%k: tensor<?x4x1x16xf32>, %cache: tensor<?x2x?x16xf32>, %pos: tensor<?xi64>) {
  // expected-error @+1 {{'frond.cache_write' op expects the extents outside 'dim' to match: update dim 1 is 4 but cache dim 1 is 2}}
  %0 = frond.cache_write %k into %cache[%pos] dim = 2 : (tensor<?x4x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?xi64>) -> tensor<?x2x?x16xf32>
  return
}

// -----

func.func @cache_write_positions(%k: tensor<?x2x1x16xf32>, %cache: tensor<?x2x?x16xf32>, %pos: tensor<?x1xi64>) {
  // expected-error @+1 {{'frond.cache_write' op expects positions of rank 1 [b], found 'tensor<?x1xi64>'}}
  %0 = frond.cache_write %k into %cache[%pos] dim = 2 : (tensor<?x2x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1xi64>) -> tensor<?x2x?x16xf32>
  return
}

// -----

func.func @cache_write_result(%k: tensor<?x2x1x16xf32>, %cache: tensor<?x2x?x16xf32>, %pos: tensor<?xi64>) {
  // expected-error @+1 {{'frond.cache_write' op failed to verify that all of {cache, result} have same type}}
  %0 = frond.cache_write %k into %cache[%pos] dim = 2 : (tensor<?x2x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?xi64>) -> tensor<?x2x8x16xf32>
  return
}

// -----

// A float capture's gradient goes through the elements the score region
// reads with tensor.extract; another use cannot be differentiated.
func.func @attention_grad_capture_use(%q: tensor<1x1x4x8xf32>, %w: tensor<?xf32>) -> tensor<1x1x4x8xf32> {
  %g:4 = frond.attention_grad softmax %q, %q, %q, %q, %q scale = 1.0
      captures(%w : tensor<?xf32>)
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> capture_grads(tensor<?xf32>)
      score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %c: tensor<?xf32>):
        %c0 = arith.constant 0 : index
        // expected-error @+1 {{uses captured tensor #0 other than by reading elements with tensor.extract}}
        %n = tensor.dim %c, %c0 : tensor<?xf32>
        %ni = arith.index_cast %n : index to i64
        %nf = arith.sitofp %ni : i64 to f32
        %r = arith.addf %s, %nf : f32
        frond.yield %r : f32
      }
  return %g#0 : tensor<1x1x4x8xf32>
}
