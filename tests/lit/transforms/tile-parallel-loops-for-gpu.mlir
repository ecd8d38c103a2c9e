// RUN: frond-opt %s -split-input-file -frond-tile-parallel-loops-for-gpu="block-size=128" -cse | FileCheck %s

// The innermost dimension is split into blocks of 128 threads with an
// in-bounds guard (the inner loop's extents are constants: the launch's
// block size), the others by 1.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[S0:.*]] = arith.muli %[[C1]], %[[C1]] : index
// CHECK: %[[S1:.*]] = arith.muli %[[C1]], %[[C128]] : index
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%arg1, %arg2) step (%[[S0]], %[[S1]])
// CHECK-NEXT: scf.parallel ({{.*}}) = (%c0, %c0) to (%[[S0]], %[[S1]]) step (%[[C1]], %[[C1]])
// CHECK: arith.cmpi ult, %{{.*}}, %arg1
// CHECK: arith.cmpi ult, %{{.*}}, %arg2
// CHECK: scf.if
// CHECK-NEXT: memref.store
func.func @dynamic(%m: memref<?x?xf32>, %n0: index, %n1: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n0, %n1) step (%c1, %c1) {
    memref.store %f, %m[%i, %j] : memref<?x?xf32>
  }
  return
}

// -----

// A static innermost extent below the block size is rounded up to a warp.
// CHECK-LABEL: func.func @small
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[S:.*]] = arith.muli %{{.*}}, %[[C32]] : index
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c20) step (%[[S]])
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%[[S]]) step
func.func @small(%m: memref<20xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c20 = arith.constant 20 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c20) step (%c1) {
    memref.store %f, %m[%i] : memref<20xf32>
  }
  return
}

// -----

// Four dimensions (a [b, t, h, d] fill): the leading three are merged
// into one of b*t*h rows (delinearized in the body), and the loop is mapped
// here: rows to blocks x, the tiles of d (64: d rounded to a warp) to
// blocks y, a tile's threads to threads x. Left to gpu-map-parallel-loops,
// the fourth dimension, d, would run serially in one-thread blocks.
// CHECK-LABEL: func.func @four_dims
// CHECK-SAME: (%[[M:.*]]: memref<?x?x4x64xf32>, %[[B:.*]]: index, %[[T:.*]]: index)
// CHECK: %[[B1:.*]] = arith.muli %c1, %[[B]] : index
// CHECK: %[[BT:.*]] = arith.muli %[[B1]], %[[T]] : index
// CHECK: %[[ROWS:.*]] = arith.muli %[[BT]], %c4 : index
// CHECK: %[[D:.*]] = arith.muli %c1, %c64 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%[[ROWS]], %[[D]])
// CHECK-NEXT: scf.parallel ({{.*}}) = (%c0, %c0) to (%{{.*}}, %[[D]])
// CHECK: arith.remsi
// CHECK: arith.divsi
// CHECK: memref.store
// CHECK: mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>]
func.func @four_dims(%m: memref<?x?x4x64xf32>, %b: index, %t: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%b, %t, %c4, %c64) step (%c1, %c1, %c1, %c1) {
    memref.store %f, %m[%i, %j, %k, %l] : memref<?x?x4x64xf32>
  }
  return
}

// -----

// An innermost extent below a warp (a [b, t, 1] fill): every dimension
// merged into one of b*t elements, tiled by the block size, instead of b*t
// blocks of 32 threads with one of them busy.
// CHECK-LABEL: func.func @thin
// CHECK-SAME: (%[[M:.*]]: memref<?x?x1xf32>, %[[B:.*]]: index, %[[T:.*]]: index)
// CHECK: %[[B1:.*]] = arith.muli %c1, %[[B]] : index
// CHECK: %[[BT:.*]] = arith.muli %[[B1]], %[[T]] : index
// CHECK: %[[N:.*]] = arith.muli %[[BT]], %c1 : index
// CHECK: %[[S:.*]] = arith.muli %c1, %c128 : index
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%[[N]]) step (%[[S]])
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%[[S]]) step (%c1)
// CHECK: arith.divsi
// CHECK: memref.store
// CHECK-NOT: mapping
func.func @thin(%m: memref<?x?x1xf32>, %b: index, %t: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%b, %t, %c1) step (%c1, %c1, %c1) {
    memref.store %f, %m[%i, %j, %k] : memref<?x?x1xf32>
  }
  return
}
