// RUN: frond-opt %s -frond-autodiff | FileCheck %s
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse --frond-cpu-pipeline | FileCheck %s --check-prefix=LOWERED

// A two-layer MLP with an RMS norm and a mean loss. Only the trainable
// parameters get gradients: the frozen w2 gets none and no code for it.
// CHECK-LABEL: func.func @mlp_grad(
// CHECK-SAME: -> (tensor<f32>, tensor<16x8xf32>, tensor<8xf32>)
// CHECK-SAME: frond.outputs = ["loss", "grad:w1", "grad:norm"]
// The loss is seeded with 1.0 and walked backwards.
// CHECK: frond.fill 1.000000e+00 : f32 : tensor<f32>
// mean: broadcast back and divide by the count
// CHECK: frond.reduce sum
// the second linear's input gradient (w2 is frozen, but x still needs it)
// CHECK: frond.matmul %{{.*}}, %arg2 : (tensor<?x?x4xf32>, tensor<4x16xf32>) -> tensor<?x?x16xf32>
// gelu: Φ(x) + x φ(x) with erf
// CHECK: frond.unary erf
// the first linear's weight gradient: Σ_batch gᵀ x
// CHECK: frond.transpose %{{.*}} permutation = [0, 2, 1] : tensor<?x?x16xf32> -> tensor<?x16x?xf32>
// CHECK-NOT: grad:w2
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<16x8xf32>, tensor<8xf32>
func.func @mlp_forward(%x: tensor<?x?x8xf32> {frond.name = "x"},
                       %w1: tensor<16x8xf32> {frond.name = "w1", frond.trainable = true},
                       %w2: tensor<4x16xf32> {frond.name = "w2", frond.trainable = false},
                       %norm: tensor<8xf32> {frond.name = "norm", frond.trainable = true})
    -> (tensor<?x?x4xf32>, tensor<f32>) attributes {frond.outputs = ["head:y", "loss"]} {
  %n = frond.rms_norm %x weight %norm eps = 1.0e-6 : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %h = frond.linear %n, %w1 : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
  %a = frond.unary gelu %h : tensor<?x?x16xf32>
  %y = frond.linear %a, %w2 : (tensor<?x?x16xf32>, tensor<4x16xf32>) -> tensor<?x?x4xf32>
  %sq = frond.binary mul %y, %y : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %l = frond.reduce mean %sq dims = [0, 1, 2] : tensor<?x?x4xf32> -> tensor<f32>
  return %y, %l : tensor<?x?x4xf32>, tensor<f32>
}

// LOWERED-NOT: frond.{{[a-z_]+}} %
// LOWERED: llvm.func @mlp_grad(
// LOWERED-NOT: frond.{{[a-z_]+}} %
