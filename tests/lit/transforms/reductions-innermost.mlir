// RUN: frond-opt %s -frond-reductions-innermost | FileCheck %s

// A bias gradient: the sum over batch and time of a [b, t, c] tensor. The
// channel loop moves outside the two reductions (one GPU kernel over c,
// not a launch per batch x time step); the maps follow the new order.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, d2, d0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[BATCH:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias_grad
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "reduction", "reduction"]}
#in = affine_map<(b, t, c) -> (b, t, c)>
#out = affine_map<(b, t, c) -> (c)>
func.func @bias_grad(%g: memref<2x3x5xf32>, %db: memref<5xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%g : memref<2x3x5xf32>) outs(%db : memref<5xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %acc, %x : f32
    linalg.yield %y : f32
  }
  return
}

// linalg.index follows the interchange: it still reads the batch index,
// now loop 1 (upstream rewrites it as an affine.apply of the new indices).
// CHECK-LABEL: func.func @indexed
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[I1:.*]] = linalg.index 1 : index
// CHECK: %[[B:.*]] = affine.apply #[[BATCH]](%[[I0]], %[[I1]])
// CHECK: arith.index_cast %[[B]]
#in2 = affine_map<(b, c) -> (b, c)>
#out2 = affine_map<(b, c) -> (c)>
func.func @indexed(%g: memref<2x5xf32>, %db: memref<5xf32>) {
  linalg.generic {indexing_maps = [#in2, #out2], iterator_types = ["reduction", "parallel"]}
      ins(%g : memref<2x5xf32>) outs(%db : memref<5xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %b = linalg.index 0 : index
    %i = arith.index_cast %b : index to i32
    %f = arith.sitofp %i : i32 to f32
    %w = arith.mulf %x, %f : f32
    %y = arith.addf %acc, %w : f32
    linalg.yield %y : f32
  }
  return
}

// Reductions already innermost: unchanged.
// CHECK-LABEL: func.func @row_sum
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK-NOT: linalg.index
func.func @row_sum(%g: memref<2x5xf32>, %s: memref<2xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%g : memref<2x5xf32>) outs(%s : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %acc, %x : f32
    linalg.yield %y : f32
  }
  return
}
