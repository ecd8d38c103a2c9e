// Ops no spec writes directly: matmul with broadcast batch dimensions (the
// lhs gradient sums over the batch it was broadcast along), swiglu, a
// transpose that is not a swap, max and min reductions with and without
// keep_dims, and softmax along a dimension other than the last.
func.func @ops_forward(
    %a: tensor<4x5x8xf64> {frond.name = "a", frond.trainable = true},
    %b: tensor<2x4x8x6xf64> {frond.name = "b", frond.trainable = true},
    %gate: tensor<2x4x5x6xf64> {frond.name = "gate", frond.trainable = true},
    %c: tensor<6x2x5xf64> {frond.name = "c"})
    -> tensor<f64> attributes {frond.outputs = ["loss"]} {
  %ab = frond.matmul %a, %b : (tensor<4x5x8xf64>, tensor<2x4x8x6xf64>) -> tensor<2x4x5x6xf64>
  %h = frond.swiglu %gate, %ab : tensor<2x4x5x6xf64>
  %mx = frond.reduce max %h dims = [1] : tensor<2x4x5x6xf64> -> tensor<2x5x6xf64>
  %mn = frond.reduce min %h dims = [1] keep_dims : tensor<2x4x5x6xf64> -> tensor<2x1x5x6xf64>
  %mn3 = frond.reduce sum %mn dims = [1] : tensor<2x1x5x6xf64> -> tensor<2x5x6xf64>
  %s = frond.binary sub %mx, %mn3 : (tensor<2x5x6xf64>, tensor<2x5x6xf64>) -> tensor<2x5x6xf64>
  %t = frond.transpose %s permutation = [2, 0, 1] : tensor<2x5x6xf64> -> tensor<6x2x5xf64>
  %p = frond.softmax %t dim = 0 : tensor<6x2x5xf64>
  %pc = frond.binary mul %p, %c : (tensor<6x2x5xf64>, tensor<6x2x5xf64>) -> tensor<6x2x5xf64>
  %tc = frond.binary mul %t, %pc : (tensor<6x2x5xf64>, tensor<6x2x5xf64>) -> tensor<6x2x5xf64>
  %l = frond.reduce sum %tc dims = [0, 1, 2] : tensor<6x2x5xf64> -> tensor<f64>
  return %l : tensor<f64>
}
