// RUN: frond-opt %s -frond-autodiff | FileCheck %s
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse --frond-cpu-pipeline | FileCheck %s --check-prefix=LOWERED

// A factorised linear and a matrix exponential.
// CHECK-LABEL: func.func @layers_grad(
// CHECK-SAME: frond.outputs = ["loss", "grad:x", "grad:w1", "grad:w2"]
// expm: the upper right block of expm([[Yᵀ, G], [0, Yᵀ]])
// CHECK: %[[YT:.*]] = frond.transpose %[[Y:.*]] permutation = [0, 2, 1] : tensor<?x4x4xf32> -> tensor<?x4x4xf32>
// CHECK: %[[TOP:.*]] = frond.concat %[[YT]], %{{.*}} dim = 2 : (tensor<?x4x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x8xf32>
// CHECK: %[[Z:.*]] = frond.fill 0.000000e+00 : f32 sizes(%{{.*}}) : tensor<?x4x4xf32>
// CHECK: %[[BOT:.*]] = frond.concat %[[Z]], %[[YT]] dim = 2
// CHECK: %[[BLOCK:.*]] = frond.concat %[[TOP]], %[[BOT]] dim = 1 : (tensor<?x4x8xf32>, tensor<?x4x8xf32>) -> tensor<?x8x8xf32>
// CHECK: %[[E:.*]] = frond.expm %[[BLOCK]] : tensor<?x8x8xf32>
// CHECK: %[[UP:.*]] = frond.slice %[[E]][0 : 4] dim = 1 : (tensor<?x8x8xf32>) -> tensor<?x4x8xf32>
// CHECK: %[[DY:.*]] = frond.slice %[[UP]][4 : 8] dim = 2 : (tensor<?x4x8xf32>) -> tensor<?x4x4xf32>
// lowrank_linear: the hidden relu2 recomputed, then the rules of linear,
// relu2 (2 relu(h)) and linear
// CHECK: %[[H:.*]] = frond.linear %arg0, %arg1 : (tensor<?x4x4xf32>, tensor<2x4xf32>) -> tensor<?x4x2xf32>
// CHECK: %[[A:.*]] = frond.unary relu2 %[[H]] : tensor<?x4x2xf32>
// CHECK: %[[DA:.*]] = frond.matmul %[[DY]], %arg2 : (tensor<?x4x4xf32>, tensor<4x2xf32>) -> tensor<?x4x2xf32>
// CHECK: frond.unary relu %[[H]]
// CHECK: return
func.func @layers_forward(%x: tensor<?x4x4xf32> {frond.name = "x", frond.trainable = true},
                          %w1: tensor<2x4xf32> {frond.name = "w1", frond.trainable = true},
                          %w2: tensor<4x2xf32> {frond.name = "w2", frond.trainable = true})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %y = frond.lowrank_linear relu2 %x, %w1, %w2 : (tensor<?x4x4xf32>, tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<?x4x4xf32>
  %e = frond.expm %y : tensor<?x4x4xf32>
  %l = frond.reduce mean %e dims = [0, 1, 2] : tensor<?x4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// LOWERED-NOT: frond.{{[a-z_]+}} %
// LOWERED: llvm.func @layers_grad(
// LOWERED-NOT: frond.{{[a-z_]+}} %
