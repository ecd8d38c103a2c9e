// cast: f64 -> f32 -> f64 inside a quadratic loss, sum(c * x * x). The
// rounding to f32 makes the loss a staircase at the scale of f32's epsilon,
// so this case takes a large step (central differences are exact for a
// quadratic) and a tolerance above f32's rounding (see the table).
func.func @cast_forward(
    %x: tensor<4x6xf64> {frond.name = "x", frond.trainable = true},
    %c: tensor<4x6xf64> {frond.name = "c"})
    -> tensor<f64> attributes {frond.outputs = ["loss"]} {
  %n = frond.cast %x : tensor<4x6xf64> -> tensor<4x6xf32>
  %w = frond.cast %n : tensor<4x6xf32> -> tensor<4x6xf64>
  %sq = frond.binary mul %w, %w : (tensor<4x6xf64>, tensor<4x6xf64>) -> tensor<4x6xf64>
  %p = frond.binary mul %sq, %c : (tensor<4x6xf64>, tensor<4x6xf64>) -> tensor<4x6xf64>
  %l = frond.reduce sum %p dims = [0, 1] : tensor<4x6xf64> -> tensor<f64>
  return %l : tensor<f64>
}
