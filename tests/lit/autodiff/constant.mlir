// RUN: frond-opt %s -frond-autodiff | FileCheck %s

// A constant operand ends the reverse walk: it has no rule, and needs none
// (the multiplication's rule still gives x its gradient, c · g).
// CHECK-LABEL: func.func @scaled_grad(
// CHECK-SAME: frond.outputs = ["loss", "grad:x"]
// CHECK: %[[C:.*]] = arith.constant dense<2.500000e-01> : tensor<f64>
// CHECK: %[[G:.*]] = frond.binary mul %{{[0-9]+}}, %[[C]]
// CHECK: return %{{.*}}, %[[G]] : tensor<f64>, tensor<4xf64>
func.func @scaled_forward(%x: tensor<4xf64> {frond.name = "x", frond.trainable = true})
    -> tensor<f64> attributes {frond.outputs = ["loss"]} {
  %c = arith.constant dense<0.25> : tensor<f64>
  %y = frond.binary mul %x, %c : (tensor<4xf64>, tensor<f64>) -> tensor<4xf64>
  %l = frond.reduce sum %y dims = [0] : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}
