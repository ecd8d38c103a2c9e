// RUN: frond-opt %s -frond-lower-to-linalg -canonicalize | FileCheck %s
// RUN: frond-opt %s --frond-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// frond.expm over [b, h, t, D, D] (PLDR's causal metric) is one matrix at a
// time: the loop index is delinearized into (b, h, t), with no collapse of
// the batch dimensions (expanding back a group with two dynamic sizes
// crashed the CPU pipeline's expand-strided-metadata).
// CHECK-LABEL: func.func @expm_batched
// CHECK-NOT: tensor.collapse_shape
// CHECK-NOT: tensor.expand_shape
// CHECK: scf.for
// CHECK: arith.remui
// CHECK: arith.divui
// CHECK: tensor.extract_slice %{{.*}} [1, 1, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<?x2x?x4x4xf32> to tensor<4x4xf32>
// CHECK: tensor.insert_slice %{{.*}} [1, 1, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<4x4xf32> into tensor<?x2x?x4x4xf32>
// LLVM: llvm.func @expm_batched
func.func @expm_batched(%m: tensor<?x2x?x4x4xf32>) -> tensor<?x2x?x4x4xf32> {
  %0 = frond.expm %m : tensor<?x2x?x4x4xf32>
  return %0 : tensor<?x2x?x4x4xf32>
}
