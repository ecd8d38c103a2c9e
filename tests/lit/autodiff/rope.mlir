// RUN: frond-opt %s -frond-autodiff | FileCheck %s
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse --frond-cpu-pipeline | FileCheck %s --check-prefix=LOWERED

// A rotation's transpose is the rotation by the negated angle: each rope's
// gradient is rope of its output's gradient with the scale negated, in
// every layout (walked backwards: truncated, interleaved, then half).
// CHECK-LABEL: func.func @rope_grad(
// CHECK: frond.rope truncated %{{.*}}, %arg1 theta = 1.024000e+03 scale = -1.000000e+00
// CHECK: frond.rope interleaved %{{.*}}, %arg1 theta = 1.000000e+04 scale = -1.000000e+00
// CHECK: frond.rope half %{{.*}}, %arg1 theta = 1.000000e+04 scale = -2.000000e+00
// CHECK: return
func.func @rope_forward(%x: tensor<?x?x2x8xf32> {frond.name = "x", frond.trainable = true},
                        %pos: tensor<?x?xi64> {frond.name = "pos"})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %a = frond.rope half %x, %pos theta = 1.0e4 scale = 2.0 : (tensor<?x?x2x8xf32>, tensor<?x?xi64>) -> tensor<?x?x2x8xf32>
  %b = frond.rope interleaved %a, %pos theta = 1.0e4 scale = 1.0 : (tensor<?x?x2x8xf32>, tensor<?x?xi64>) -> tensor<?x?x2x8xf32>
  %c = frond.rope truncated %b, %pos theta = 1024.0 scale = 1.0 : (tensor<?x?x2x8xf32>, tensor<?x?xi64>) -> tensor<?x?x2x8xf32>
  %sq = frond.binary mul %c, %x : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32>
  %l = frond.reduce mean %sq dims = [0, 1, 2, 3] : tensor<?x?x2x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// LOWERED-NOT: frond.{{[a-z_]+}} %
// LOWERED: llvm.func @rope_grad(
// LOWERED-NOT: frond.{{[a-z_]+}} %
