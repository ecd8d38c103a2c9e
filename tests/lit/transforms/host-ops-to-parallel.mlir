// RUN: frond-opt %s -frond-host-ops-to-parallel | FileCheck %s

// A concatenation's copy into a slice becomes linalg.copy (a kernel once
// lowered); a fill of a rank-0 buffer and an op on rank-0 buffers (a loss
// divided by its token count) move into one-iteration parallel loops.
// CHECK-LABEL: func.func @host_ops
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<4x16xf32>, %[[S:.*]]: memref<f32>, %[[N:.*]]: memref<f32>)
// CHECK: %[[SLICE:.*]] = memref.subview %[[B]][0, 8] [4, 8] [1, 1]
// CHECK: linalg.copy ins(%[[A]] : memref<4x8xf32>) outs(%[[SLICE]] : memref<4x8xf32, strided<[16, 1], offset: 8>>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[C1]]) step (%[[C1]]) {
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[N]] : memref<f32>)
// CHECK-NEXT: scf.reduce
// CHECK: scf.parallel
// CHECK-NEXT: linalg.generic
// CHECK-NOT: memref.copy
func.func @host_ops(%a: memref<4x8xf32>, %b: memref<4x16xf32>, %s: memref<f32>, %n: memref<f32>) {
  %slice = memref.subview %b[0, 8] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  memref.copy %a, %slice : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  %two = arith.constant 2.0 : f32
  linalg.fill ins(%two : f32) outs(%n : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%n : memref<f32>) outs(%s : memref<f32>) {
  ^bb0(%d: f32, %acc: f32):
    %q = arith.divf %acc, %d : f32
    linalg.yield %q : f32
  }
  return
}

// Ops already in a parallel loop or a kernel stay where they are.
// CHECK-LABEL: func.func @on_device
// CHECK: scf.parallel
// CHECK-NEXT: memref.copy
// CHECK: gpu.launch
// CHECK: linalg.fill
// CHECK-NOT: scf.parallel
func.func @on_device(%a: memref<f32>, %b: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    memref.copy %a, %b : memref<f32> to memref<f32>
    scf.reduce
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %zero = arith.constant 0.0 : f32
    linalg.fill ins(%zero : f32) outs(%a : memref<f32>)
    gpu.terminator
  }
  return
}
