// RUN: frond-opt %s -split-input-file -frond-shape-inference | FileCheck %s

// A forward specialised for batch 2 x 8 (static arguments, dynamic op
// types as MLIRGen writes them): every extent becomes static, the function's
// result type too, and the attention region's capture argument follows its
// operand.
// CHECK-LABEL: func.func @specialised(
// CHECK-SAME: -> (tensor<2x8x32xf32>, tensor<2x8x16xf32>)
// CHECK: frond.embedding {{.*}} -> tensor<2x8x16xf32>
// CHECK: frond.rms_norm {{.*}} -> tensor<2x8x16xf32>
// CHECK: frond.linear {{.*}} -> tensor<2x8x32xf32>
// CHECK: frond.split_heads {{.*}} -> tensor<2x8x2x8xf32>
// CHECK: frond.transpose {{.*}} -> tensor<2x2x8x8xf32>
// CHECK: frond.merge_heads {{.*}} -> tensor<2x8x16xf32>
// CHECK: frond.binary add {{.*}} -> tensor<2x8x16xf32>
// CHECK: return {{.*}} : tensor<2x8x32xf32>, tensor<2x8x16xf32>
func.func @specialised(%ids: tensor<2x8xi64>, %table: tensor<97x16xf32>, %w: tensor<16xf32>,
                       %proj: tensor<32x16xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x16xf32>) {
  %e = frond.embedding %ids, %table : (tensor<2x8xi64>, tensor<97x16xf32>) -> tensor<?x?x16xf32>
  %n = frond.rms_norm %e weight %w eps = 1.0e-6 : (tensor<?x?x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  %l = frond.linear %n, %proj : (tensor<?x?x16xf32>, tensor<32x16xf32>) -> tensor<?x?x32xf32>
  %s = frond.split_heads %n heads = 2 : tensor<?x?x16xf32> -> tensor<?x?x2x8xf32>
  %t = frond.transpose %s permutation = [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %u = frond.transpose %t permutation = [0, 2, 1, 3] : tensor<?x2x?x8xf32> -> tensor<?x?x2x8xf32>
  %m = frond.merge_heads %u : tensor<?x?x2x8xf32> -> tensor<?x?x16xf32>
  %r = frond.binary add %m, %e : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %l, %r : tensor<?x?x32xf32>, tensor<?x?x16xf32>
}

// -----

// Static extents never change; what the operands do not determine stays
// dynamic.
// CHECK-LABEL: func.func @partial(
// CHECK-SAME: -> tensor<?x4xf32>
// CHECK: frond.binary mul {{.*}} -> tensor<?x4xf32>
func.func @partial(%x: tensor<?x4xf32>, %y: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %p = frond.binary mul %x, %y : (tensor<?x4xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %p : tensor<?x?xf32>
}

// -----

// The gradient ops: slice_grad takes its input's shape, expm its operand's.
// CHECK-LABEL: func.func @gradient_ops(
// CHECK: frond.slice_grad {{.*}} -> tensor<2x8x4xf32>
// CHECK: frond.binary mul {{.*}} -> tensor<2x4x4xf32>
// CHECK: frond.expm %{{.*}} : tensor<2x4x4xf32>
func.func @gradient_ops(%g: tensor<2x5x4xf32>, %x: tensor<2x8x4xf32>, %m: tensor<2x4x4xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  %d = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<2x5x4xf32>, tensor<2x8x4xf32>) -> tensor<?x?x4xf32>
  %sq = frond.binary mul %m, %m : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<?x4x4xf32>
  %e = frond.expm %sq : tensor<?x4x4xf32>
  return %d, %e : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}
