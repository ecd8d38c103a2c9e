// RUN: frond-opt %s -split-input-file -frond-fuse-elementwise | FileCheck %s

// A producer read through a projection (x * 2 feeding a linear, read at
// (d0, d2) by a loop nest over (d0, d1, d2)) is not fused: fused, it would
// be recomputed for every output column.
// CHECK-LABEL: func.func @no_recompute
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg1 : tensor<8x16xf32>, tensor<32x16xf32>)
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
func.func @no_recompute(%x: tensor<8x16xf32>, %w: tensor<32x16xf32>, %acc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %w : tensor<8x16xf32>, tensor<32x16xf32>) outs(%acc : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Elementwise into elementwise (identity maps) still fuses into one generic.
// CHECK-LABEL: func.func @fuses
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
func.func @fuses(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%p : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %two : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %q : tensor<8x16xf32>
}

// -----

// An optimizer-like update: m and v each have a later user besides the
// update that reads both, so upstream would recompute them in it. Merged,
// one generic computes m, then v, then p, each once, and yields all three.
// CHECK-LABEL: func.func @shared_producers
// CHECK: %[[U:.*]]:3 = linalg.generic
// CHECK-COUNT-1: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: bufferization.materialize_in_destination %[[U]]#2 in writable %arg2
// CHECK: bufferization.materialize_in_destination %[[U]]#1 in writable %arg3
// CHECK: bufferization.materialize_in_destination %[[U]]#0 in writable %arg4
#id = affine_map<(d0) -> (d0)>
func.func @shared_producers(%g: tensor<16xf32>, %m0: tensor<16xf32>, %pb: memref<16xf32>, %mb: memref<16xf32>, %vb: memref<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%g, %m0 : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %v = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%g : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %p = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%m, %v : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.divf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  bufferization.materialize_in_destination %p in writable %pb : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %m in writable %mb : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %v in writable %vb : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// -----

// Not merged: a write into a buffer between the producer and the consumer
// (the producer would move past it), and a producer whose other user comes
// before the consumer (the merged op would not dominate it).
// CHECK-LABEL: func.func @shared_producer_kept
// CHECK: %[[M:.*]] = linalg.generic
// CHECK: bufferization.materialize_in_destination %[[M]] in writable %arg2
// CHECK: %[[V:.*]] = linalg.generic
// CHECK: %[[X:.*]] = tensor.extract %[[V]]
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[V]] :
// CHECK: return %[[P]], %[[X]]
#id1 = affine_map<(d0) -> (d0)>
func.func @shared_producer_kept(%g: tensor<16xf32>, %m0: tensor<16xf32>, %mb: memref<16xf32>) -> (tensor<16xf32>, f32) {
  %c0 = arith.constant 0 : index
  %e = tensor.empty() : tensor<16xf32>
  %m = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%g, %m0 : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  bufferization.materialize_in_destination %m in writable %mb : (tensor<16xf32>, memref<16xf32>) -> ()
  %v = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%g : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %x = tensor.extract %v[%c0] : tensor<16xf32>
  %p = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%m, %v : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.divf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %p, %x : tensor<16xf32>, f32
}
