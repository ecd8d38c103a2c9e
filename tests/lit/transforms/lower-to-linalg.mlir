// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg | FileCheck %s --check-prefix=NOFROND

// NOFROND-NOT: frond.{{[a-z_]+}} %

// Broadcasting binary: the [64] operand reads with a projected map; the
// dynamic extents come from tensor.dim of the full operand.
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @binary_broadcast
// CHECK: tensor.dim %arg0, %c0
// CHECK: tensor.dim %arg0, %c1
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[LAST]], #[[ID3]]]
// CHECK: arith.mulf
func.func @binary_broadcast(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = frond.binary mul %x, %w : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Unary kinds come from a table: silu is x * sigmoid(x), gelu uses erf.
// CHECK-LABEL: func.func @unary
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK: math.erf
func.func @unary(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a = frond.unary silu %x : tensor<?x8xf32>
  %b = frond.unary gelu %a : tensor<?x8xf32>
  return %b : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @compare_select_cast
// CHECK: arith.cmpi sge
// CHECK: arith.select
// CHECK: arith.sitofp
func.func @compare_select_cast(%t: tensor<1x?xi64>, %s: tensor<?x1xi64>, %x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %m = frond.compare ge %t, %s : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %z = frond.fill 0.0 : f32 : tensor<f32>
  %y = frond.select %m, %x, %z : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %c = frond.cast %t : tensor<1x?xi64> -> tensor<1x?xf32>
  %r = frond.binary add %y, %c : (tensor<?x?xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %y, %r : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// Linear: contraction generic (reduction last), bias broadcast as the init.
// CHECK-LABEL: func.func @linear
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x?x64xf32>, tensor<128x64xf32>)
// CHECK: } -> tensor<?x?x128xf32>
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<?x?x128xf32> {
  %y = frond.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  return %y : tensor<?x?x128xf32>
}

// -----

// CHECK-LABEL: func.func @embedding
// CHECK: linalg.generic
// CHECK: arith.index_cast
// CHECK: linalg.index 2
// CHECK: tensor.extract %arg1
func.func @embedding(%ids: tensor<?x?xi64>, %table: tensor<97x64xf32>) -> tensor<?x?x64xf32> {
  %e = frond.embedding %ids, %table : (tensor<?x?xi64>, tensor<97x64xf32>) -> tensor<?x?x64xf32>
  return %e : tensor<?x?x64xf32>
}

// -----

// Norms: reduction generics then one normalising generic.
// CHECK-LABEL: func.func @norms
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.rsqrt
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.rsqrt
func.func @norms(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %r = frond.rms_norm %x weight %w eps = 1.0e-6 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %l = frond.layer_norm %r weight %w bias %b eps = 1.0e-5 : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %l : tensor<?x?x64xf32>
}

// -----

// Heads: expand/collapse shapes and linalg.transpose.
// CHECK-LABEL: func.func @heads
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3]]
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x?x4x16xf32>) outs(%{{.*}} : tensor<?x4x?x16xf32>) permutation = [0, 2, 1, 3]
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]]
// (merge_heads of split_heads folds away, so merge another tensor.)
func.func @heads(%x: tensor<?x?x64xf32>, %y: tensor<?x?x4x16xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x?x64xf32>) {
  %h = frond.split_heads %x heads = 4 : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %t = frond.transpose %h permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %m = frond.merge_heads %y : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
  return %t, %m : tensor<?x4x?x16xf32>, tensor<?x?x64xf32>
}

// -----

// Static slice and concat.
// CHECK-LABEL: func.func @slice_concat
// CHECK: tensor.extract_slice %arg0[0, %{{.*}}, 0] [%{{.*}}, 5, 64] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x5x64xf32>
// CHECK: tensor.insert_slice
// CHECK: tensor.insert_slice
func.func @slice_concat(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %s = frond.slice %x[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
  %c = frond.concat %s, %x dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %c : tensor<?x?x64xf32>
}

// -----

// Per-sample bounds: the longest sample's length is a loop over the batch;
// each element gathers input[b, start_b + i] or the pad value past the end.
// CHECK-LABEL: func.func @slice_per_sample
// CHECK: %[[LEN:.*]] = scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[M:.*]] = %{{.*}}) -> (index)
// CHECK: tensor.extract %arg1[%[[B]]] : tensor<?xi64>
// CHECK: arith.maxsi %[[M]]
// CHECK: tensor.empty(%{{.*}}, %[[LEN]]) : tensor<?x?xi64>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[SRC:.*]] = arith.addi %{{.*}}, %[[I]] : index
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[SRC]], %{{.*}} : index
// CHECK: %[[X:.*]] = tensor.extract %arg0[%{{.*}}, %{{.*}}] : tensor<?x?xi64>
// CHECK: %[[PAD:.*]] = arith.constant -100 : i64
// CHECK: arith.select %[[IN]], %[[X]], %[[PAD]] : i64
func.func @slice_per_sample(%ids: tensor<?x?xi64>, %len: tensor<?xi64>) -> tensor<?x?xi64> {
  %t = frond.slice %ids[%len :] dim = 1 pad = -100 : i64 : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
  return %t : tensor<?x?xi64>
}

// -----

// Reductions: keep_dims expands the reduced result back; cumsum is a loop.
// CHECK-LABEL: func.func @reductions
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.divf
// CHECK: tensor.expand_shape
// CHECK: scf.for
// CHECK: tensor.insert_slice
func.func @reductions(%x: tensor<?x?x64xf32>) -> (tensor<?x?x1xf32>, tensor<?x?x64xf32>) {
  %m = frond.reduce mean %x dims = [2] keep_dims : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %c = frond.cumsum %x dim = 1 : tensor<?x?x64xf32>
  return %m, %c : tensor<?x?x1xf32>, tensor<?x?x64xf32>
}

// -----

// Over dims of extent 1 a reduction is the element itself: a view (here a
// hyperparameter sliced out of a vector, as the compiled training step
// does), no loop nest. A dynamic dim, even of extent 1 at run time, still
// reduces.
// CHECK-LABEL: func.func @unit_reductions
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[%{{.*}}] [1] [1]
// CHECK: %[[V:.*]] = tensor.collapse_shape %[[S]] [] : tensor<1xf32> into tensor<f32>
// CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: return %[[V]], %[[W]], %arg1,
func.func @unit_reductions(%h: tensor<3xf32>, %x: tensor<1x4x8xf32>, %y: tensor<4x?xf32>) -> (tensor<f32>, tensor<4x8xf32>, tensor<1x4x8xf32>, tensor<4xf32>) {
  %s = frond.slice %h[2 : 3] dim = 0 : (tensor<3xf32>) -> tensor<1xf32>
  %v = frond.reduce sum %s dims = [0] : tensor<1xf32> -> tensor<f32>
  %w = frond.reduce max %x dims = [0] : tensor<1x4x8xf32> -> tensor<4x8xf32>
  %k = frond.reduce mean %x dims = [0] keep_dims : tensor<1x4x8xf32> -> tensor<1x4x8xf32>
  %d = frond.reduce sum %y dims = [1] : tensor<4x?xf32> -> tensor<4xf32>
  return %v, %w, %k, %d : tensor<f32>, tensor<4x8xf32>, tensor<1x4x8xf32>, tensor<4xf32>
}

// -----

// Softmax and the shifted cross-entropy: log-sum-exp reductions, a gather of
// the target logit, and a masked mean.
// CHECK-LABEL: func.func @losses
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: tensor.extract_slice %arg0[0, 0, 0]
// CHECK: tensor.extract_slice %arg1[0, 1]
// CHECK: tensor.extract %{{.*}}[
// CHECK: math.log
// CHECK: arith.divf
// CHECK: -> tensor<f32>
func.func @losses(%l: tensor<?x?x97xf32>, %t: tensor<?x?xi64>) -> (tensor<?x?x97xf32>, tensor<f32>) {
  %p = frond.softmax %l dim = 2 : tensor<?x?x97xf32>
  %c = frond.cross_entropy %l, %t {shift} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  return %p, %c : tensor<?x?x97xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @rope_matmul
// CHECK: math.cos
// CHECK: math.sin
// CHECK: tensor.extract %arg0
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
func.func @rope_matmul(%q: tensor<?x?x4x16xf32>, %pos: tensor<?x?xi64>, %w: tensor<4x16x16xf32>, %a: tensor<?x4x16x16xf32>) -> (tensor<?x?x4x16xf32>, tensor<?x4x16x16xf32>) {
  %r = frond.rope half %q, %pos theta = 1.0e+04 scale = 1.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  %m = frond.matmul %w, %a : (tensor<4x16x16xf32>, tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32>
  return %r, %m : tensor<?x?x4x16xf32>, tensor<?x4x16x16xf32>
}
