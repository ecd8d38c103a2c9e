// Every unary kind, one trainable [3, 4] argument each (so a wrong rule
// shows as the gradient of the argument named after its kind):
//   loss = sum over kinds of mean(kind(arg) * c)
// log, sqrt and rsqrt take 1 + arg * arg; floor takes 0.01 * arg + 0.5,
// which stays in (0, 1) for every step, and its rule must pass nothing.
func.func @unary_forward(%c: tensor<3x4xf64> {frond.name = "c"},
    %neg: tensor<3x4xf64> {frond.name = "neg", frond.trainable = true},
    %exp: tensor<3x4xf64> {frond.name = "exp", frond.trainable = true},
    %log: tensor<3x4xf64> {frond.name = "log", frond.trainable = true},
    %sqrt: tensor<3x4xf64> {frond.name = "sqrt", frond.trainable = true},
    %rsqrt: tensor<3x4xf64> {frond.name = "rsqrt", frond.trainable = true},
    %abs: tensor<3x4xf64> {frond.name = "abs", frond.trainable = true},
    %tanh: tensor<3x4xf64> {frond.name = "tanh", frond.trainable = true},
    %sigmoid: tensor<3x4xf64> {frond.name = "sigmoid", frond.trainable = true},
    %relu: tensor<3x4xf64> {frond.name = "relu", frond.trainable = true},
    %relu2: tensor<3x4xf64> {frond.name = "relu2", frond.trainable = true},
    %gelu: tensor<3x4xf64> {frond.name = "gelu", frond.trainable = true},
    %gelu_tanh: tensor<3x4xf64> {frond.name = "gelu_tanh", frond.trainable = true},
    %silu: tensor<3x4xf64> {frond.name = "silu", frond.trainable = true},
    %softplus: tensor<3x4xf64> {frond.name = "softplus", frond.trainable = true},
    %floor: tensor<3x4xf64> {frond.name = "floor", frond.trainable = true},
    %erf: tensor<3x4xf64> {frond.name = "erf", frond.trainable = true})
    -> tensor<f64> attributes {frond.outputs = ["loss"]} {
  %one = arith.constant dense<1.0> : tensor<f64>
  %half = arith.constant dense<0.5> : tensor<f64>
  %small = arith.constant dense<0.01> : tensor<f64>
  %neg_y = frond.unary neg %neg : tensor<3x4xf64>
  %neg_p = frond.binary mul %neg_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %neg_m = frond.reduce mean %neg_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %exp_y = frond.unary exp %exp : tensor<3x4xf64>
  %exp_p = frond.binary mul %exp_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %exp_m = frond.reduce mean %exp_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %exp_acc = frond.binary add %neg_m, %exp_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %log_sq = frond.binary mul %log, %log : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %log_in = frond.binary add %log_sq, %one : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %log_y = frond.unary log %log_in : tensor<3x4xf64>
  %log_p = frond.binary mul %log_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %log_m = frond.reduce mean %log_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %log_acc = frond.binary add %exp_acc, %log_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %sqrt_sq = frond.binary mul %sqrt, %sqrt : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %sqrt_in = frond.binary add %sqrt_sq, %one : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %sqrt_y = frond.unary sqrt %sqrt_in : tensor<3x4xf64>
  %sqrt_p = frond.binary mul %sqrt_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %sqrt_m = frond.reduce mean %sqrt_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %sqrt_acc = frond.binary add %log_acc, %sqrt_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %rsqrt_sq = frond.binary mul %rsqrt, %rsqrt : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %rsqrt_in = frond.binary add %rsqrt_sq, %one : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %rsqrt_y = frond.unary rsqrt %rsqrt_in : tensor<3x4xf64>
  %rsqrt_p = frond.binary mul %rsqrt_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %rsqrt_m = frond.reduce mean %rsqrt_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %rsqrt_acc = frond.binary add %sqrt_acc, %rsqrt_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %abs_y = frond.unary abs %abs : tensor<3x4xf64>
  %abs_p = frond.binary mul %abs_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %abs_m = frond.reduce mean %abs_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %abs_acc = frond.binary add %rsqrt_acc, %abs_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %tanh_y = frond.unary tanh %tanh : tensor<3x4xf64>
  %tanh_p = frond.binary mul %tanh_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %tanh_m = frond.reduce mean %tanh_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %tanh_acc = frond.binary add %abs_acc, %tanh_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %sigmoid_y = frond.unary sigmoid %sigmoid : tensor<3x4xf64>
  %sigmoid_p = frond.binary mul %sigmoid_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %sigmoid_m = frond.reduce mean %sigmoid_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %sigmoid_acc = frond.binary add %tanh_acc, %sigmoid_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %relu_y = frond.unary relu %relu : tensor<3x4xf64>
  %relu_p = frond.binary mul %relu_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %relu_m = frond.reduce mean %relu_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %relu_acc = frond.binary add %sigmoid_acc, %relu_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %relu2_y = frond.unary relu2 %relu2 : tensor<3x4xf64>
  %relu2_p = frond.binary mul %relu2_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %relu2_m = frond.reduce mean %relu2_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %relu2_acc = frond.binary add %relu_acc, %relu2_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %gelu_y = frond.unary gelu %gelu : tensor<3x4xf64>
  %gelu_p = frond.binary mul %gelu_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %gelu_m = frond.reduce mean %gelu_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %gelu_acc = frond.binary add %relu2_acc, %gelu_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %gelu_tanh_y = frond.unary gelu_tanh %gelu_tanh : tensor<3x4xf64>
  %gelu_tanh_p = frond.binary mul %gelu_tanh_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %gelu_tanh_m = frond.reduce mean %gelu_tanh_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %gelu_tanh_acc = frond.binary add %gelu_acc, %gelu_tanh_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %silu_y = frond.unary silu %silu : tensor<3x4xf64>
  %silu_p = frond.binary mul %silu_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %silu_m = frond.reduce mean %silu_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %silu_acc = frond.binary add %gelu_tanh_acc, %silu_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %softplus_y = frond.unary softplus %softplus : tensor<3x4xf64>
  %softplus_p = frond.binary mul %softplus_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %softplus_m = frond.reduce mean %softplus_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %softplus_acc = frond.binary add %silu_acc, %softplus_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %floor_s = frond.binary mul %floor, %small : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %floor_in = frond.binary add %floor_s, %half : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %floor_y = frond.unary floor %floor_in : tensor<3x4xf64>
  %floor_p = frond.binary mul %floor_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %floor_m = frond.reduce mean %floor_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %floor_acc = frond.binary add %softplus_acc, %floor_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %erf_y = frond.unary erf %erf : tensor<3x4xf64>
  %erf_p = frond.binary mul %erf_y, %c : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  %erf_m = frond.reduce mean %erf_p dims = [0, 1] : tensor<3x4xf64> -> tensor<f64>
  %erf_acc = frond.binary add %floor_acc, %erf_m : (tensor<f64>, tensor<f64>) -> tensor<f64>
  return %erf_acc : tensor<f64>
}
