// RUN: frond-opt %s | frond-opt | FileCheck %s
// RUN: frond-opt %s --mlir-print-op-generic | frond-opt | FileCheck %s

// Round trip of the ops the gradient rules build (slice_grad, expm, the
// reversed cumsum), in their custom and generic forms.

// CHECK-LABEL: func.func @slice_grads
func.func @slice_grads(%g: tensor<?x5x64xf32>, %gd: tensor<?x?x64xf32>, %x: tensor<?x?x64xf32>,
                       %len: tensor<?xi64>, %n: index)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  // CHECK: frond.slice_grad %{{.*}} into %{{.*}}[0 : 5] dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %0 = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.slice_grad %{{.*}} into %{{.*}}[%{{.*}} : ] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
  %1 = frond.slice_grad %gd into %x[%len :] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
  // CHECK: frond.slice_grad %{{.*}} into %{{.*}}[ : %{{.*}}] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, index) -> tensor<?x?x64xf32>
  %2 = frond.slice_grad %gd into %x[: %n] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, index) -> tensor<?x?x64xf32>
  // CHECK: frond.slice_grad %{{.*}} into %{{.*}}[-1 : ] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %3 = frond.slice_grad %gd into %x[-1 :] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %0, %1, %2, %3 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @matrix_exponentials
func.func @matrix_exponentials(%m: tensor<?x4x16x16xf32>, %d: tensor<8x8xf64>, %kv: tensor<?x?x4x16xf32>)
    -> (tensor<?x4x16x16xf32>, tensor<8x8xf64>, tensor<?x?x4x16xf32>) {
  // CHECK: frond.expm %{{.*}} : tensor<?x4x16x16xf32>
  %0 = frond.expm %m : tensor<?x4x16x16xf32>
  // CHECK: frond.expm %{{.*}} : tensor<8x8xf64>
  %1 = frond.expm %d : tensor<8x8xf64>
  // CHECK: frond.cumsum %{{.*}} dim = 1 reverse : tensor<?x?x4x16xf32>
  %2 = frond.cumsum %kv dim = 1 reverse : tensor<?x?x4x16xf32>
  return %0, %1, %2 : tensor<?x4x16x16xf32>, tensor<8x8xf64>, tensor<?x?x4x16xf32>
}
