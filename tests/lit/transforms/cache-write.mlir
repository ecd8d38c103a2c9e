// RUN: frond-opt %s -frond-lower-to-linalg | FileCheck %s
// RUN: frond-opt %s -frond-lower-to-linalg -one-shot-bufferize="bufferize-function-boundaries" -canonicalize | FileCheck %s --check-prefix=INPLACE

// One parallel_insert_slice per sample, at positions[b] along dim 2, in an
// scf.forall over the samples whose shared output is the cache (on the GPU
// one kernel that reads the positions itself).
// CHECK-LABEL: func.func @append
// CHECK-SAME: (%[[K:.*]]: tensor<?x2x1x16xf32>, %[[CACHE:.*]]: tensor<?x2x?x16xf32>, %[[POS:.*]]: tensor<?xi64>)
// CHECK: %[[B:.*]] = tensor.dim %[[K]], %c0
// CHECK: scf.forall (%[[I:.*]]) in (%[[B]]) shared_outs(%[[ACC:.*]] = %[[CACHE]])
// CHECK: %[[P:.*]] = tensor.extract %[[POS]][%[[I]]]
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]] : i64 to index
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[K]][%[[I]], 0, 0, 0] [1, 2, 1, 16] [1, 1, 1, 1]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[ROW]] into %[[ACC]][%[[I]], 0, %[[PI]], 0] [1, 2, 1, 16] [1, 1, 1, 1]

// After bufferization the cache argument is written in place: the step
// stores one row per sample into the caller's buffer and copies nothing.
// INPLACE-LABEL: func.func @append
// INPLACE-SAME: %[[CACHE:arg1]]: memref<?x2x?x16xf32
// INPLACE-NOT: memref.alloc
// INPLACE-NOT: memref.copy %[[CACHE]]
// INPLACE: scf.forall
// INPLACE: memref.load
// INPLACE: memref.subview %[[CACHE]]
// INPLACE: memref.copy
// INPLACE-NOT: memref.alloc
// INPLACE: return
func.func @append(%k: tensor<?x2x1x16xf32>, %cache: tensor<?x2x?x16xf32>, %pos: tensor<?xi64>) -> tensor<?x2x?x16xf32> {
  %c = frond.cache_write %k into %cache[%pos] dim = 2
      : (tensor<?x2x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?xi64>) -> tensor<?x2x?x16xf32>
  return %c : tensor<?x2x?x16xf32>
}
