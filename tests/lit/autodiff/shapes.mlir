// RUN: frond-opt %s -frond-autodiff | FileCheck %s
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse --frond-cpu-pipeline | FileCheck %s --check-prefix=LOWERED

// Slices (static and per-sample), a concatenation, a clamp and a prefix
// sum, walked backwards.
// CHECK-LABEL: func.func @shapes_grad(
// CHECK-SAME: frond.outputs = ["loss", "grad:x", "grad:y"]
// cumsum: the suffix sum of its gradient
// CHECK: frond.cumsum %{{.*}} dim = 1 reverse : tensor<?x?x4xf32>
// clamp: flows where min <= x <= max
// CHECK: frond.compare ge %{{.*}}, %{{.*}} : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xi1>
// CHECK: frond.compare le %{{.*}}, %{{.*}} : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xi1>
// concat: each input's range of the gradient; the last extent is dynamic
// CHECK: %[[G0:.*]] = frond.slice %[[G:.*]][0 : 2] dim = 1 : (tensor<?x?x4xf32>) -> tensor<?x2x4xf32>
// CHECK: %[[G1:.*]] = frond.slice %[[G]][2 : 5] dim = 1 : (tensor<?x?x4xf32>) -> tensor<?x3x4xf32>
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x?x4xf32>
// CHECK: %[[END:.*]] = arith.addi %{{.*}}, %[[N]] : index
// CHECK: %[[G2:.*]] = frond.slice %[[G]][5 : %[[END]]] dim = 1 : (tensor<?x?x4xf32>, index) -> tensor<?x?x4xf32>
// slices: scattered back into zeros of the input's shape
// CHECK: %[[D0:.*]] = frond.slice_grad %[[G0]] into %arg0[0 : 2] dim = 1 : (tensor<?x2x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
// CHECK: %[[D1:.*]] = frond.slice_grad %[[G2]] into %arg0[%arg2 : ] dim = 1 : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?xi64>) -> tensor<?x?x4xf32>
// CHECK: %[[DX:.*]] = frond.binary add %[[D0]], %[[D1]]
// CHECK: return %{{.*}}, %[[DX]], %[[G1]] : tensor<f32>, tensor<?x?x4xf32>, tensor<?x3x4xf32>
func.func @shapes_forward(%x: tensor<?x?x4xf32> {frond.name = "x", frond.trainable = true},
                          %y: tensor<?x3x4xf32> {frond.name = "y", frond.trainable = true},
                          %len: tensor<?xi64> {frond.name = "len"})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %s = frond.slice %x[%len :] dim = 1 : (tensor<?x?x4xf32>, tensor<?xi64>) -> tensor<?x?x4xf32>
  %h = frond.slice %x[0 : 2] dim = 1 : (tensor<?x?x4xf32>) -> tensor<?x2x4xf32>
  %c = frond.concat %h, %y, %s dim = 1 : (tensor<?x2x4xf32>, tensor<?x3x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %k = frond.clamp %c min = -1.0 max = 1.0 : tensor<?x?x4xf32>
  %u = frond.cumsum %k dim = 1 : tensor<?x?x4xf32>
  %sq = frond.binary mul %u, %u : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %l = frond.reduce mean %sq dims = [0, 1, 2] : tensor<?x?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// LOWERED-NOT: frond.{{[a-z_]+}} %
// LOWERED: llvm.func @shapes_grad(
// LOWERED-NOT: frond.{{[a-z_]+}} %

// MLIRGen's squeeze and unsqueeze (tensor.collapse_shape / expand_shape):
// the gradient is the inverse reshape (external models on the tensor ops).
// CHECK-LABEL: func.func @squeeze_grad(
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<?x1x4xf32> into tensor<?x4xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
// CHECK: return
func.func @squeeze_forward(%x: tensor<?x1x4xf32> {frond.name = "x", frond.trainable = true})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %s = tensor.collapse_shape %x [[0], [1, 2]] : tensor<?x1x4xf32> into tensor<?x4xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x4xf32>
  %u = tensor.expand_shape %s [[0, 1], [2]] output_shape [%n, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
  %sq = frond.binary mul %u, %u : (tensor<?x1x4xf32>, tensor<?x1x4xf32>) -> tensor<?x1x4xf32>
  %l = frond.reduce sum %sq dims = [0, 1, 2] : tensor<?x1x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// LOWERED: llvm.func @squeeze_grad(
