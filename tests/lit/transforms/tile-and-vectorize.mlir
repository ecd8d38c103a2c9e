// RUN: frond-opt %s -split-input-file -frond-tile-and-vectorize | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-tile-and-vectorize="tile-n=64 pack-operands=false" | FileCheck %s --check-prefix=NOPACK

// A linear (weight [n, k]) over dynamic batch and sequence extents: the
// weight is transposed to [k, n] once; m tiles are 1 (dynamic), n tiles 32,
// the k loop carries the accumulator as a vector and does one FMA per step.
// CHECK-LABEL: func.func @linear
// CHECK: %[[WT:.*]] = linalg.transpose ins(%arg1 : tensor<512x256xf32>) outs(%{{.*}} : tensor<256x512xf32>) permutation = [1, 0]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[N:.*]] = %c0 to %c512 step %c32
// CHECK: %[[ACC0:.*]] = vector.transfer_read {{.*}} : tensor<1x1x32xf32>, vector<1x1x32xf32>
// CHECK: scf.for %[[K:.*]] = %c0 to %c256 step %c1 iter_args({{.*}}, %[[ACC:.*]] = %[[ACC0]])
// CHECK: tensor.extract_slice %[[WT]][%[[K]], %[[N]]] [1, 32] [1, 1]
// CHECK: %[[A:.*]] = vector.broadcast %{{.*}} : f32 to vector<32xf32>
// CHECK: %[[C:.*]] = vector.shape_cast %[[ACC]] : vector<1x1x32xf32> to vector<32xf32>
// CHECK: vector.fma %[[A]], %{{.*}}, %[[C]] : vector<32xf32>
// CHECK-NOT: linalg.generic
// NOPACK-LABEL: func.func @linear
// NOPACK-NOT: linalg.transpose
// NOPACK: step %c64
// NOPACK: vector.fma {{.*}} : vector<64xf32>
func.func @linear(%x: tensor<?x?x256xf32>, %w: tensor<512x256xf32>) -> tensor<?x?x512xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 0.0 : f32
  %b = tensor.dim %x, %c0 : tensor<?x?x256xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x256xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x512xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x?x256xf32>, tensor<512x256xf32>) outs(%f : tensor<?x?x512xf32>) {
  ^bb0(%a: f32, %bb: f32, %c: f32):
    %m = arith.mulf %a, %bb : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x?x512xf32>
  return %r : tensor<?x?x512xf32>
}

// -----

// Static m: an 8 x 32 register tile, eight FMAs (one per row) per k step.
// CHECK-LABEL: func.func @matmul_static
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: scf.for
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.yield
func.func @matmul_static(%a: tensor<16x64xf32>, %b: tensor<64x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// -----

// A dynamic n extent (an attention score tile) is left for linalg-to-loops.
// CHECK-LABEL: func.func @dynamic_n
// CHECK-NOT: linalg.transpose
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @dynamic_n(%a: tensor<?x64xf32>, %b: tensor<64x?xf32>, %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x?xf32>) outs(%c : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// A weight gradient folded over batch and time (frond-fold-batch-sums):
// dW[n, k] = Σ_b Σ_t dYᵀ[b, n, t] X[b, t, k], two reduction loops. The
// tile's unit loops (b, t) are dropped, so each (b, t) step is one
// vector.fma per row of the 8 x 32 accumulator (x[i] broadcast times a
// row of X), not a contraction over [8, 64, 1, 1] unrolled element by
// element (nor a transpose of a broadcast).
// CHECK-LABEL: func.func @folded_weight_grad
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (tensor<64x128xf32>, tensor<8x32xf32>, vector<8x32xf32>)
// CHECK: scf.for {{.*}} -> (tensor<64x128xf32>, tensor<8x32xf32>, vector<8x32xf32>)
// CHECK-NOT: vector.transpose
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<8x32xf32>
#dy = affine_map<(b, n, k, t) -> (b, n, t)>
#xs = affine_map<(b, n, k, t) -> (b, t, k)>
#dw = affine_map<(b, n, k, t) -> (n, k)>
func.func @folded_weight_grad(%dy: tensor<?x64x?xf32>, %x: tensor<?x?x128xf32>, %init: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = linalg.generic {indexing_maps = [#dy, #xs, #dw], iterator_types = ["reduction", "parallel", "parallel", "reduction"]}
      ins(%dy, %x : tensor<?x64x?xf32>, tensor<?x?x128xf32>) outs(%init : tensor<64x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}
