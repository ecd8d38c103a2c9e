// RUN: frond-opt %s -split-input-file -frond-fold-batch-sums | FileCheck %s

// A weight gradient as autodiff leaves it: per-sample products [b, n, k]
// (b a batch loop, into zeros) summed over b. Folded: one contraction over
// (b, n, k, t) with b and t reductions, accumulating into the sum's init.
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[DW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-LABEL: func.func @weight_grad
// CHECK-SAME: (%[[A:.*]]: tensor<?x64x?xf32>, %[[B:.*]]: tensor<?x?x32xf32>, %[[INIT:.*]]: tensor<64x32xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[DY]], #[[X]], #[[DW]]], iterator_types = ["reduction", "parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<?x64x?xf32>, tensor<?x?x32xf32>) outs(%[[INIT]] : tensor<64x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
#a = affine_map<(b, n, k, t) -> (b, n, t)>
#x = affine_map<(b, n, k, t) -> (b, t, k)>
#c = affine_map<(b, n, k, t) -> (b, n, k)>
#id = affine_map<(b, n, k) -> (b, n, k)>
#nk = affine_map<(b, n, k) -> (n, k)>
func.func @weight_grad(%dy: tensor<?x64x?xf32>, %x: tensor<?x?x32xf32>, %init: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %dy, %c0 : tensor<?x64x?xf32>
  %empty = tensor.empty(%b) : tensor<?x64x32xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64x32xf32>) -> tensor<?x64x32xf32>
  %per = linalg.generic {indexing_maps = [#a, #x, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dy, %x : tensor<?x64x?xf32>, tensor<?x?x32xf32>) outs(%zeros : tensor<?x64x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<?x64x32xf32>
  %sum = linalg.generic {indexing_maps = [#id, #nk], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%per : tensor<?x64x32xf32>) outs(%init : tensor<64x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<64x32xf32>
  return %sum : tensor<64x32xf32>
}

// -----

// Not folded: the products are used again (the intermediate must exist),
// or accumulate into something other than zeros.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: linalg.generic
#a2 = affine_map<(b, n, k, t) -> (b, n, t)>
#x2 = affine_map<(b, n, k, t) -> (b, t, k)>
#c2 = affine_map<(b, n, k, t) -> (b, n, k)>
#id2 = affine_map<(b, n, k) -> (b, n, k)>
#nk2 = affine_map<(b, n, k) -> (n, k)>
func.func @kept(%dy: tensor<2x64x8xf32>, %x: tensor<2x8x32xf32>, %acc: tensor<2x64x32xf32>, %init: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<2x64x32xf32>, tensor<64x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x64x32xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x64x32xf32>) -> tensor<2x64x32xf32>
  %per = linalg.generic {indexing_maps = [#a2, #x2, #c2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dy, %x : tensor<2x64x8xf32>, tensor<2x8x32xf32>) outs(%zeros : tensor<2x64x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<2x64x32xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #nk2], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%per : tensor<2x64x32xf32>) outs(%init : tensor<64x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<64x32xf32>
  %onto = linalg.generic {indexing_maps = [#a2, #x2, #c2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dy, %x : tensor<2x64x8xf32>, tensor<2x8x32xf32>) outs(%acc : tensor<2x64x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<2x64x32xf32>
  %sum2 = linalg.generic {indexing_maps = [#id2, #nk2], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%onto : tensor<2x64x32xf32>) outs(%init : tensor<64x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<64x32xf32>
  return %sum, %per, %sum2 : tensor<64x32xf32>, tensor<2x64x32xf32>, tensor<64x32xf32>
}
