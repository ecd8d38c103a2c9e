// RUN: frond-opt %s -canonicalize -split-input-file | FileCheck %s

// Folds the identities reverse-mode autodiff leaves behind.

// CHECK-LABEL: func.func @transposes_cancel
// CHECK-NEXT: return %arg0
func.func @transposes_cancel(%x: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %t = frond.transpose %x permutation = [0, 2, 1, 3] : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  %u = frond.transpose %t permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %u : tensor<?x4x?x16xf32>
}

// -----

// CHECK-LABEL: func.func @transposes_kept
// CHECK: frond.transpose
// CHECK: frond.transpose
func.func @transposes_kept(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %t = frond.transpose %x permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %u = frond.transpose %t permutation = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %u : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @heads_round_trip
// CHECK-NEXT: return %arg0
func.func @heads_round_trip(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %s = frond.split_heads %x heads = 4 : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %m = frond.merge_heads %s : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
  return %m : tensor<?x?x64xf32>
}

// -----

// x * 1 + 0 is x; x * 0.5 is not.
// CHECK-LABEL: func.func @unit_arithmetic
// CHECK: %[[H:.*]] = frond.fill 5.000000e-01
// CHECK-NEXT: %[[R:.*]] = frond.binary mul %arg0, %[[H]]
// CHECK-NEXT: return %arg0, %[[R]]
func.func @unit_arithmetic(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %one = frond.fill 1.0 : f32 : tensor<f32>
  %zero = frond.fill 0.0 : f32 : tensor<f32>
  %half = frond.fill 0.5 : f32 : tensor<f32>
  %a = frond.binary mul %x, %one : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %b = frond.binary add %a, %zero : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %c = frond.cast %b : tensor<?x8xf32> -> tensor<?x8xf32>
  %d = frond.binary mul %x, %half : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %c, %d : tensor<?x8xf32>, tensor<?x8xf32>
}
