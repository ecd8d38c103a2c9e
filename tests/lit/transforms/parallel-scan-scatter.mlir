// RUN: frond-opt %s -frond-parallel-scan-scatter | FileCheck %s

// A reverse cumsum along dim 1 of [b, t, 4]: a thread per (b, channel)
// walks t from the end, accumulating in f64 and storing each prefix (as
// f32) into a fresh buffer, which becomes the result tensor.
// CHECK-LABEL: func.func @scan
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>)
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x4xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[C:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:   scf.for %[[K:.*]] = %{{.*}} to %[[N:.*]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f64)
// CHECK:     %[[LAST:.*]] = arith.subi %[[N]], %{{.*}}
// CHECK:     %[[T:.*]] = arith.subi %[[LAST]], %[[K]]
// CHECK:     %[[V:.*]] = tensor.extract %[[X]][%[[B]], %[[T]], %[[C]]]
// CHECK:     %[[W:.*]] = arith.extf %[[V]] : f32 to f64
// CHECK:     %[[S:.*]] = arith.addf %[[ACC]], %[[W]] : f64
// CHECK:     %[[NARROW:.*]] = arith.truncf %[[S]] : f64 to f32
// CHECK:     memref.store %[[NARROW]], %[[OUT]][%[[B]], %[[T]], %[[C]]]
// CHECK:     scf.yield %[[S]]
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[R]]
func.func @scan(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %c = frond.cumsum %x dim = 1 reverse : tensor<?x?x4xf32>
  return %c : tensor<?x?x4xf32>
}

// The embedding gradient: the table zero-filled, then a thread per (batch,
// time, column) adds its gradient into its id's row atomically.
// CHECK-LABEL: func.func @scatter
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi64>, %[[G:.*]]: tensor<?x?x64xf32>)
// CHECK: %[[TABLE:.*]] = memref.alloc() : memref<97x64xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[TABLE]] : memref<97x64xf32>)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]], %[[D:.*]]) =
// CHECK:   %[[ID:.*]] = tensor.extract %[[IDS]][%[[I]], %[[J]]]
// CHECK:   %[[ROW:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK:   %[[V:.*]] = tensor.extract %[[G]][%[[I]], %[[J]], %[[D]]]
// CHECK:   memref.atomic_rmw addf %[[V]], %[[TABLE]][%[[ROW]], %[[D]]]
// CHECK: bufferization.to_tensor %[[TABLE]] restrict writable
// CHECK-NOT: frond.embedding_grad
func.func @scatter(%ids: tensor<?x?xi64>, %g: tensor<?x?x64xf32>) -> tensor<97x64xf32> {
  %t = frond.embedding_grad %ids, %g : (tensor<?x?xi64>, tensor<?x?x64xf32>) -> tensor<97x64xf32>
  return %t : tensor<97x64xf32>
}
