module {
  func.func @m_forward(%arg0: tensor<?x?xi64> {frond.name = "tokens"}, %arg1: tensor<32x16xf64> {frond.name = "tok.weight", frond.trainable = true}, %arg2: tensor<16xf64> {frond.name = "rmsnorm.weight", frond.trainable = true}, %arg3: tensor<16x16xf64> {frond.name = "attn.wq", frond.trainable = true}, %arg4: tensor<16x16xf64> {frond.name = "attn.wk", frond.trainable = true}, %arg5: tensor<16x16xf64> {frond.name = "attn.wv", frond.trainable = true}, %arg6: tensor<16x16xf64> {frond.name = "attn.wo", frond.trainable = true}, %arg7: tensor<8xf64> {frond.name = "attn.a_norm.weight", frond.trainable = true}, %arg8: tensor<8xf64> {frond.name = "attn.a_norm.bias", frond.trainable = true}, %arg9: tensor<21x8xf64> {frond.name = "attn.a_res.0.glu0.w1", frond.trainable = true}, %arg10: tensor<21xf64> {frond.name = "attn.a_res.0.glu0.b1", frond.trainable = true}, %arg11: tensor<21x8xf64> {frond.name = "attn.a_res.0.glu0.w2", frond.trainable = true}, %arg12: tensor<21xf64> {frond.name = "attn.a_res.0.glu0.b2", frond.trainable = true}, %arg13: tensor<8x21xf64> {frond.name = "attn.a_res.0.glu0.w3", frond.trainable = true}, %arg14: tensor<8xf64> {frond.name = "attn.a_res.0.glu0.b3", frond.trainable = true}, %arg15: tensor<8xf64> {frond.name = "attn.a_res.0.norm.weight", frond.trainable = true}, %arg16: tensor<8xf64> {frond.name = "attn.a_res.0.norm.bias", frond.trainable = true}, %arg17: tensor<2x8x8xf64> {frond.name = "attn.plga_w", frond.trainable = true}, %arg18: tensor<2x8x8xf64> {frond.name = "attn.plga_b", frond.trainable = true}, %arg19: tensor<2x8x8xf64> {frond.name = "attn.plga_p", frond.trainable = true}, %arg20: tensor<2x8x8xf64> {frond.name = "attn.plga_alpha", frond.trainable = true}, %arg21: tensor<2x8x8xf64> {frond.name = "attn.plga_beta", frond.trainable = true}, %arg22: tensor<16xf64> {frond.name = "rmsnorm_1.weight", frond.trainable = true}, %arg23: tensor<32x16xf64> {frond.name = "logits.weight", frond.trainable = true}) -> (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8xf64>) attributes {frond.outputs = ["%28", "%collapsed", "%30", "%63", "%64#0", "%64#1", "%64#2", "%68", "%76", "%79", "%81", "%96", "%104", "%120", "%169", "%175"]} {
    %0 = frond.embedding %arg0, %arg1 : (tensor<?x?xi64>, tensor<32x16xf64>) -> tensor<?x?x16xf64>
    %1 = frond.rms_norm %0 weight %arg2 eps = 9.9999999999999995E-7 : (tensor<?x?x16xf64>, tensor<16xf64>) -> tensor<?x?x16xf64>
    %2 = frond.linear %1, %arg3 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %3 = frond.split_heads %2 heads = 2 : tensor<?x?x16xf64> -> tensor<?x?x2x8xf64>
    %4 = frond.linear %1, %arg4 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %5 = frond.split_heads %4 heads = 2 : tensor<?x?x16xf64> -> tensor<?x?x2x8xf64>
    %6 = frond.linear %1, %arg5 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %7 = frond.split_heads %6 heads = 2 : tensor<?x?x16xf64> -> tensor<?x?x2x8xf64>
    %8 = frond.transpose %3 permutation = [0, 2, 1, 3] : tensor<?x?x2x8xf64> -> tensor<?x2x?x8xf64>
    %9 = frond.transpose %5 permutation = [0, 2, 1, 3] : tensor<?x?x2x8xf64> -> tensor<?x2x?x8xf64>
    %10 = frond.transpose %7 permutation = [0, 2, 1, 3] : tensor<?x?x2x8xf64> -> tensor<?x2x?x8xf64>
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %8, %c0 : tensor<?x2x?x8xf64>
    %c2 = arith.constant 2 : index
    %dim_0 = tensor.dim %8, %c2 : tensor<?x2x?x8xf64>
    %expanded = tensor.expand_shape %8 [[0], [1], [2], [3, 4]] output_shape [%dim, 2, %dim_0, 8, 1] : tensor<?x2x?x8xf64> into tensor<?x2x?x8x1xf64>
    %c0_1 = arith.constant 0 : index
    %dim_2 = tensor.dim %8, %c0_1 : tensor<?x2x?x8xf64>
    %c2_3 = arith.constant 2 : index
    %dim_4 = tensor.dim %8, %c2_3 : tensor<?x2x?x8xf64>
    %expanded_5 = tensor.expand_shape %8 [[0], [1], [2], [3, 4]] output_shape [%dim_2, 2, %dim_4, 1, 8] : tensor<?x2x?x8xf64> into tensor<?x2x?x1x8xf64>
    %11 = frond.matmul %expanded, %expanded_5 : (tensor<?x2x?x8x1xf64>, tensor<?x2x?x1x8xf64>) -> tensor<?x2x?x8x8xf64>
    %12 = frond.cumsum %11 dim = 2 : tensor<?x2x?x8x8xf64>
    %13 = frond.layer_norm %12 weight %arg7 bias %arg8 eps = 9.9999999999999995E-7 : (tensor<?x2x?x8x8xf64>, tensor<8xf64>, tensor<8xf64>) -> tensor<?x2x?x8x8xf64>
    %14 = frond.linear %13, %arg9, %arg10 : (tensor<?x2x?x8x8xf64>, tensor<21x8xf64>, tensor<21xf64>) -> tensor<?x2x?x8x21xf64>
    %15 = frond.linear %13, %arg11, %arg12 : (tensor<?x2x?x8x8xf64>, tensor<21x8xf64>, tensor<21xf64>) -> tensor<?x2x?x8x21xf64>
    %16 = frond.unary silu %14 : tensor<?x2x?x8x21xf64>
    %17 = frond.binary mul %16, %15 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %18 = frond.linear %17, %arg13, %arg14 : (tensor<?x2x?x8x21xf64>, tensor<8x21xf64>, tensor<8xf64>) -> tensor<?x2x?x8x8xf64>
    %19 = frond.binary add %13, %18 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %20 = frond.layer_norm %19 weight %arg15 bias %arg16 eps = 9.9999999999999995E-7 : (tensor<?x2x?x8x8xf64>, tensor<8xf64>, tensor<8xf64>) -> tensor<?x2x?x8x8xf64>
    %expanded_6 = tensor.expand_shape %arg17 [[0], [1, 2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xf64> into tensor<2x1x8x8xf64>
    %21 = frond.matmul %expanded_6, %20 : (tensor<2x1x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %expanded_7 = tensor.expand_shape %arg18 [[0], [1, 2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xf64> into tensor<2x1x8x8xf64>
    %22 = frond.binary add %21, %expanded_7 : (tensor<?x2x?x8x8xf64>, tensor<2x1x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %23 = frond.unary silu %22 : tensor<?x2x?x8x8xf64>
    %24 = frond.binary mul %22, %23 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %cst = arith.constant dense<1.000000e-09> : tensor<f64>
    %25 = frond.binary add %24, %cst : (tensor<?x2x?x8x8xf64>, tensor<f64>) -> tensor<?x2x?x8x8xf64>
    %expanded_8 = tensor.expand_shape %arg19 [[0], [1, 2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xf64> into tensor<2x1x8x8xf64>
    %26 = frond.binary pow %25, %expanded_8 : (tensor<?x2x?x8x8xf64>, tensor<2x1x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %expanded_9 = tensor.expand_shape %arg20 [[0], [1, 2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xf64> into tensor<2x1x8x8xf64>
    %27 = frond.matmul %expanded_9, %26 : (tensor<2x1x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %expanded_10 = tensor.expand_shape %arg21 [[0], [1, 2], [3]] output_shape [2, 1, 8, 8] : tensor<2x8x8xf64> into tensor<2x1x8x8xf64>
    %28 = frond.binary add %27, %expanded_10 : (tensor<?x2x?x8x8xf64>, tensor<2x1x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %c0_11 = arith.constant 0 : index
    %dim_12 = tensor.dim %8, %c0_11 : tensor<?x2x?x8xf64>
    %c2_13 = arith.constant 2 : index
    %dim_14 = tensor.dim %8, %c2_13 : tensor<?x2x?x8xf64>
    %expanded_15 = tensor.expand_shape %8 [[0], [1], [2], [3, 4]] output_shape [%dim_12, 2, %dim_14, 1, 8] : tensor<?x2x?x8xf64> into tensor<?x2x?x1x8xf64>
    %29 = frond.matmul %expanded_15, %28 : (tensor<?x2x?x1x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x1x8xf64>
    %collapsed = tensor.collapse_shape %29 [[0], [1], [2], [3, 4]] : tensor<?x2x?x1x8xf64> into tensor<?x2x?x8xf64>
    %30 = frond.attention softmax %collapsed, %9, %10 scale = 0.35355339059327373 : tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64> -> tensor<?x2x?x8xf64> mask {
    ^bb0(%b: index, %h: index, %q: index, %k: index):
      %212 = arith.cmpi sle, %k, %q : index
      frond.yield %212 : i1
    }
    %31 = frond.transpose %30 permutation = [0, 2, 1, 3] : tensor<?x2x?x8xf64> -> tensor<?x?x2x8xf64>
    %32 = frond.merge_heads %31 : tensor<?x?x2x8xf64> -> tensor<?x?x16xf64>
    %33 = frond.linear %32, %arg6 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %34 = frond.binary add %0, %33 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %35 = frond.rms_norm %34 weight %arg22 eps = 9.9999999999999995E-7 : (tensor<?x?x16xf64>, tensor<16xf64>) -> tensor<?x?x16xf64>
    %36 = frond.linear %35, %arg23 : (tensor<?x?x16xf64>, tensor<32x16xf64>) -> tensor<?x?x32xf64>
    %37 = frond.cross_entropy %36, %arg0 {shift} : (tensor<?x?x32xf64>, tensor<?x?xi64>) -> tensor<f64>
    %38 = frond.fill 1.000000e+00 : f64 : tensor<f64>
    %39 = frond.cross_entropy_grad %36, %arg0, %38 {shift} : (tensor<?x?x32xf64>, tensor<?x?xi64>, tensor<f64>) -> tensor<?x?x32xf64>
    %40 = frond.matmul %39, %arg23 : (tensor<?x?x32xf64>, tensor<32x16xf64>) -> tensor<?x?x16xf64>
    %41 = frond.transpose %39 permutation = [0, 2, 1] : tensor<?x?x32xf64> -> tensor<?x32x?xf64>
    %42 = frond.matmul %41, %35 : (tensor<?x32x?xf64>, tensor<?x?x16xf64>) -> tensor<?x32x16xf64>
    %43 = frond.reduce sum %42 dims = [0] : tensor<?x32x16xf64> -> tensor<32x16xf64>
    %44 = frond.fill 9.9999999999999995E-7 : f64 : tensor<f64>
    %45 = frond.binary mul %34, %34 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %46 = frond.reduce mean %45 dims = [2] keep_dims : tensor<?x?x16xf64> -> tensor<?x?x1xf64>
    %47 = frond.binary add %46, %44 : (tensor<?x?x1xf64>, tensor<f64>) -> tensor<?x?x1xf64>
    %48 = frond.unary rsqrt %47 : tensor<?x?x1xf64>
    %49 = frond.binary mul %34, %48 : (tensor<?x?x16xf64>, tensor<?x?x1xf64>) -> tensor<?x?x16xf64>
    %50 = frond.binary mul %40, %arg22 : (tensor<?x?x16xf64>, tensor<16xf64>) -> tensor<?x?x16xf64>
    %51 = frond.binary mul %50, %49 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %52 = frond.reduce mean %51 dims = [2] keep_dims : tensor<?x?x16xf64> -> tensor<?x?x1xf64>
    %53 = frond.binary mul %49, %52 : (tensor<?x?x16xf64>, tensor<?x?x1xf64>) -> tensor<?x?x16xf64>
    %54 = frond.binary sub %50, %53 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %55 = frond.binary mul %48, %54 : (tensor<?x?x1xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %56 = frond.binary mul %40, %49 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %57 = frond.reduce sum %56 dims = [0, 1] : tensor<?x?x16xf64> -> tensor<16xf64>
    %58 = frond.matmul %55, %arg6 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %59 = frond.transpose %55 permutation = [0, 2, 1] : tensor<?x?x16xf64> -> tensor<?x16x?xf64>
    %60 = frond.matmul %59, %32 : (tensor<?x16x?xf64>, tensor<?x?x16xf64>) -> tensor<?x16x16xf64>
    %61 = frond.reduce sum %60 dims = [0] : tensor<?x16x16xf64> -> tensor<16x16xf64>
    %62 = frond.split_heads %58 heads = 2 : tensor<?x?x16xf64> -> tensor<?x?x2x8xf64>
    %63 = frond.transpose %62 permutation = [0, 2, 1, 3] : tensor<?x?x2x8xf64> -> tensor<?x2x?x8xf64>
    %64:3 = frond.attention_grad softmax %collapsed, %9, %10, %30, %63 scale = 0.35355339059327373 : tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64> -> tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64> mask {
    ^bb0(%b: index, %h: index, %q: index, %k: index):
      %212 = arith.cmpi sle, %k, %q : index
      frond.yield %212 : i1
    }
    %c0_16 = arith.constant 0 : index
    %dim_17 = tensor.dim %29, %c0_16 : tensor<?x2x?x1x8xf64>
    %c2_18 = arith.constant 2 : index
    %dim_19 = tensor.dim %29, %c2_18 : tensor<?x2x?x1x8xf64>
    %expanded_20 = tensor.expand_shape %64#0 [[0], [1], [2], [3, 4]] output_shape [%dim_17, 2, %dim_19, 1, 8] : tensor<?x2x?x8xf64> into tensor<?x2x?x1x8xf64>
    %65 = frond.transpose %28 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x8xf64>
    %66 = frond.matmul %expanded_20, %65 : (tensor<?x2x?x1x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x1x8xf64>
    %67 = frond.transpose %expanded_15 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x1x8xf64> -> tensor<?x2x?x8x1xf64>
    %68 = frond.matmul %67, %expanded_20 : (tensor<?x2x?x8x1xf64>, tensor<?x2x?x1x8xf64>) -> tensor<?x2x?x8x8xf64>
    %collapsed_21 = tensor.collapse_shape %66 [[0], [1], [2], [3, 4]] : tensor<?x2x?x1x8xf64> into tensor<?x2x?x8xf64>
    %69 = frond.reduce sum %68 dims = [0] : tensor<?x2x?x8x8xf64> -> tensor<2x?x8x8xf64>
    %70 = frond.reduce sum %69 dims = [1] keep_dims : tensor<2x?x8x8xf64> -> tensor<2x1x8x8xf64>
    %collapsed_22 = tensor.collapse_shape %70 [[0], [1, 2], [3]] : tensor<2x1x8x8xf64> into tensor<2x8x8xf64>
    %71 = frond.transpose %26 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x8xf64>
    %72 = frond.matmul %68, %71 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %73 = frond.reduce sum %72 dims = [0] : tensor<?x2x?x8x8xf64> -> tensor<2x?x8x8xf64>
    %74 = frond.reduce sum %73 dims = [1] keep_dims : tensor<2x?x8x8xf64> -> tensor<2x1x8x8xf64>
    %75 = frond.transpose %expanded_9 permutation = [0, 1, 3, 2] : tensor<2x1x8x8xf64> -> tensor<2x1x8x8xf64>
    %76 = frond.matmul %75, %68 : (tensor<2x1x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %collapsed_23 = tensor.collapse_shape %74 [[0], [1, 2], [3]] : tensor<2x1x8x8xf64> into tensor<2x8x8xf64>
    %77 = frond.fill 1.000000e+00 : f64 : tensor<f64>
    %78 = frond.binary sub %expanded_8, %77 : (tensor<2x1x8x8xf64>, tensor<f64>) -> tensor<2x1x8x8xf64>
    %79 = frond.binary pow %25, %78 : (tensor<?x2x?x8x8xf64>, tensor<2x1x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %80 = frond.binary mul %expanded_8, %79 : (tensor<2x1x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %81 = frond.binary mul %76, %80 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %82 = frond.unary log %25 : tensor<?x2x?x8x8xf64>
    %83 = frond.binary mul %26, %82 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %84 = frond.binary mul %76, %83 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %85 = frond.reduce sum %84 dims = [0] : tensor<?x2x?x8x8xf64> -> tensor<2x?x8x8xf64>
    %86 = frond.reduce sum %85 dims = [1] keep_dims : tensor<2x?x8x8xf64> -> tensor<2x1x8x8xf64>
    %collapsed_24 = tensor.collapse_shape %86 [[0], [1, 2], [3]] : tensor<2x1x8x8xf64> into tensor<2x8x8xf64>
    %87 = frond.binary mul %81, %23 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %88 = frond.binary mul %81, %22 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %89 = frond.unary sigmoid %22 : tensor<?x2x?x8x8xf64>
    %90 = frond.fill 1.000000e+00 : f64 : tensor<f64>
    %91 = frond.binary sub %90, %89 : (tensor<f64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %92 = frond.binary mul %22, %91 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %93 = frond.binary add %90, %92 : (tensor<f64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %94 = frond.binary mul %89, %93 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %95 = frond.binary mul %88, %94 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %96 = frond.binary add %87, %95 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %97 = frond.reduce sum %96 dims = [0] : tensor<?x2x?x8x8xf64> -> tensor<2x?x8x8xf64>
    %98 = frond.reduce sum %97 dims = [1] keep_dims : tensor<2x?x8x8xf64> -> tensor<2x1x8x8xf64>
    %collapsed_25 = tensor.collapse_shape %98 [[0], [1, 2], [3]] : tensor<2x1x8x8xf64> into tensor<2x8x8xf64>
    %99 = frond.transpose %20 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x8xf64>
    %100 = frond.matmul %96, %99 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %101 = frond.reduce sum %100 dims = [0] : tensor<?x2x?x8x8xf64> -> tensor<2x?x8x8xf64>
    %102 = frond.reduce sum %101 dims = [1] keep_dims : tensor<2x?x8x8xf64> -> tensor<2x1x8x8xf64>
    %103 = frond.transpose %expanded_6 permutation = [0, 1, 3, 2] : tensor<2x1x8x8xf64> -> tensor<2x1x8x8xf64>
    %104 = frond.matmul %103, %96 : (tensor<2x1x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %collapsed_26 = tensor.collapse_shape %102 [[0], [1, 2], [3]] : tensor<2x1x8x8xf64> into tensor<2x8x8xf64>
    %105 = frond.reduce mean %19 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %106 = frond.binary sub %19, %105 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %107 = frond.fill 9.9999999999999995E-7 : f64 : tensor<f64>
    %108 = frond.binary mul %106, %106 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %109 = frond.reduce mean %108 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %110 = frond.binary add %109, %107 : (tensor<?x2x?x8x1xf64>, tensor<f64>) -> tensor<?x2x?x8x1xf64>
    %111 = frond.unary rsqrt %110 : tensor<?x2x?x8x1xf64>
    %112 = frond.binary mul %106, %111 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %113 = frond.binary mul %104, %arg15 : (tensor<?x2x?x8x8xf64>, tensor<8xf64>) -> tensor<?x2x?x8x8xf64>
    %114 = frond.binary mul %113, %112 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %115 = frond.reduce mean %114 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %116 = frond.binary mul %112, %115 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %117 = frond.binary sub %113, %116 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %118 = frond.reduce mean %113 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %119 = frond.binary sub %117, %118 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %120 = frond.binary mul %111, %119 : (tensor<?x2x?x8x1xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %121 = frond.binary mul %104, %112 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %122 = frond.reduce sum %121 dims = [0, 1, 2, 3] : tensor<?x2x?x8x8xf64> -> tensor<8xf64>
    %123 = frond.reduce sum %104 dims = [0, 1, 2, 3] : tensor<?x2x?x8x8xf64> -> tensor<8xf64>
    %124 = frond.matmul %120, %arg13 : (tensor<?x2x?x8x8xf64>, tensor<8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %125 = frond.transpose %120 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x8xf64>
    %126 = frond.matmul %125, %17 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %127 = frond.reduce sum %126 dims = [0, 1, 2] : tensor<?x2x?x8x21xf64> -> tensor<8x21xf64>
    %128 = frond.reduce sum %120 dims = [0, 1, 2, 3] : tensor<?x2x?x8x8xf64> -> tensor<8xf64>
    %129 = frond.binary mul %124, %15 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %130 = frond.binary mul %124, %16 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %131 = frond.unary sigmoid %14 : tensor<?x2x?x8x21xf64>
    %132 = frond.fill 1.000000e+00 : f64 : tensor<f64>
    %133 = frond.binary sub %132, %131 : (tensor<f64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %134 = frond.binary mul %14, %133 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %135 = frond.binary add %132, %134 : (tensor<f64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %136 = frond.binary mul %131, %135 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %137 = frond.binary mul %129, %136 : (tensor<?x2x?x8x21xf64>, tensor<?x2x?x8x21xf64>) -> tensor<?x2x?x8x21xf64>
    %138 = frond.matmul %130, %arg11 : (tensor<?x2x?x8x21xf64>, tensor<21x8xf64>) -> tensor<?x2x?x8x8xf64>
    %139 = frond.transpose %130 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x21xf64> -> tensor<?x2x?x21x8xf64>
    %140 = frond.matmul %139, %13 : (tensor<?x2x?x21x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x21x8xf64>
    %141 = frond.reduce sum %140 dims = [0, 1, 2] : tensor<?x2x?x21x8xf64> -> tensor<21x8xf64>
    %142 = frond.reduce sum %130 dims = [0, 1, 2, 3] : tensor<?x2x?x8x21xf64> -> tensor<21xf64>
    %143 = frond.binary add %120, %138 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %144 = frond.matmul %137, %arg9 : (tensor<?x2x?x8x21xf64>, tensor<21x8xf64>) -> tensor<?x2x?x8x8xf64>
    %145 = frond.transpose %137 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x21xf64> -> tensor<?x2x?x21x8xf64>
    %146 = frond.matmul %145, %13 : (tensor<?x2x?x21x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x21x8xf64>
    %147 = frond.reduce sum %146 dims = [0, 1, 2] : tensor<?x2x?x21x8xf64> -> tensor<21x8xf64>
    %148 = frond.reduce sum %137 dims = [0, 1, 2, 3] : tensor<?x2x?x8x21xf64> -> tensor<21xf64>
    %149 = frond.binary add %143, %144 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %150 = frond.reduce mean %12 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %151 = frond.binary sub %12, %150 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %152 = frond.fill 9.9999999999999995E-7 : f64 : tensor<f64>
    %153 = frond.binary mul %151, %151 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %154 = frond.reduce mean %153 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %155 = frond.binary add %154, %152 : (tensor<?x2x?x8x1xf64>, tensor<f64>) -> tensor<?x2x?x8x1xf64>
    %156 = frond.unary rsqrt %155 : tensor<?x2x?x8x1xf64>
    %157 = frond.binary mul %151, %156 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %158 = frond.binary mul %149, %arg7 : (tensor<?x2x?x8x8xf64>, tensor<8xf64>) -> tensor<?x2x?x8x8xf64>
    %159 = frond.binary mul %158, %157 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %160 = frond.reduce mean %159 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %161 = frond.binary mul %157, %160 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %162 = frond.binary sub %158, %161 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %163 = frond.reduce mean %158 dims = [4] keep_dims : tensor<?x2x?x8x8xf64> -> tensor<?x2x?x8x1xf64>
    %164 = frond.binary sub %162, %163 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x8xf64>
    %165 = frond.binary mul %156, %164 : (tensor<?x2x?x8x1xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %166 = frond.binary mul %149, %157 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x8x8xf64>
    %167 = frond.reduce sum %166 dims = [0, 1, 2, 3] : tensor<?x2x?x8x8xf64> -> tensor<8xf64>
    %168 = frond.reduce sum %149 dims = [0, 1, 2, 3] : tensor<?x2x?x8x8xf64> -> tensor<8xf64>
    %169 = frond.cumsum %165 dim = 2 reverse : tensor<?x2x?x8x8xf64>
    %170 = frond.transpose %expanded_5 permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x1x8xf64> -> tensor<?x2x?x8x1xf64>
    %171 = frond.matmul %169, %170 : (tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x1xf64>) -> tensor<?x2x?x8x1xf64>
    %172 = frond.transpose %expanded permutation = [0, 1, 2, 4, 3] : tensor<?x2x?x8x1xf64> -> tensor<?x2x?x1x8xf64>
    %173 = frond.matmul %172, %169 : (tensor<?x2x?x1x8xf64>, tensor<?x2x?x8x8xf64>) -> tensor<?x2x?x1x8xf64>
    %collapsed_27 = tensor.collapse_shape %173 [[0], [1], [2], [3, 4]] : tensor<?x2x?x1x8xf64> into tensor<?x2x?x8xf64>
    %174 = frond.binary add %collapsed_21, %collapsed_27 : (tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>) -> tensor<?x2x?x8xf64>
    %collapsed_28 = tensor.collapse_shape %171 [[0], [1], [2], [3, 4]] : tensor<?x2x?x8x1xf64> into tensor<?x2x?x8xf64>
    %175 = frond.binary add %174, %collapsed_28 : (tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>) -> tensor<?x2x?x8xf64>
    %176 = frond.transpose %64#2 permutation = [0, 2, 1, 3] : tensor<?x2x?x8xf64> -> tensor<?x?x2x8xf64>
    %177 = frond.transpose %64#1 permutation = [0, 2, 1, 3] : tensor<?x2x?x8xf64> -> tensor<?x?x2x8xf64>
    %178 = frond.transpose %175 permutation = [0, 2, 1, 3] : tensor<?x2x?x8xf64> -> tensor<?x?x2x8xf64>
    %179 = frond.merge_heads %176 : tensor<?x?x2x8xf64> -> tensor<?x?x16xf64>
    %180 = frond.matmul %179, %arg5 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %181 = frond.transpose %179 permutation = [0, 2, 1] : tensor<?x?x16xf64> -> tensor<?x16x?xf64>
    %182 = frond.matmul %181, %1 : (tensor<?x16x?xf64>, tensor<?x?x16xf64>) -> tensor<?x16x16xf64>
    %183 = frond.reduce sum %182 dims = [0] : tensor<?x16x16xf64> -> tensor<16x16xf64>
    %184 = frond.merge_heads %177 : tensor<?x?x2x8xf64> -> tensor<?x?x16xf64>
    %185 = frond.matmul %184, %arg4 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %186 = frond.transpose %184 permutation = [0, 2, 1] : tensor<?x?x16xf64> -> tensor<?x16x?xf64>
    %187 = frond.matmul %186, %1 : (tensor<?x16x?xf64>, tensor<?x?x16xf64>) -> tensor<?x16x16xf64>
    %188 = frond.reduce sum %187 dims = [0] : tensor<?x16x16xf64> -> tensor<16x16xf64>
    %189 = frond.binary add %180, %185 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %190 = frond.merge_heads %178 : tensor<?x?x2x8xf64> -> tensor<?x?x16xf64>
    %191 = frond.matmul %190, %arg3 : (tensor<?x?x16xf64>, tensor<16x16xf64>) -> tensor<?x?x16xf64>
    %192 = frond.transpose %190 permutation = [0, 2, 1] : tensor<?x?x16xf64> -> tensor<?x16x?xf64>
    %193 = frond.matmul %192, %1 : (tensor<?x16x?xf64>, tensor<?x?x16xf64>) -> tensor<?x16x16xf64>
    %194 = frond.reduce sum %193 dims = [0] : tensor<?x16x16xf64> -> tensor<16x16xf64>
    %195 = frond.binary add %189, %191 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %196 = frond.fill 9.9999999999999995E-7 : f64 : tensor<f64>
    %197 = frond.binary mul %0, %0 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %198 = frond.reduce mean %197 dims = [2] keep_dims : tensor<?x?x16xf64> -> tensor<?x?x1xf64>
    %199 = frond.binary add %198, %196 : (tensor<?x?x1xf64>, tensor<f64>) -> tensor<?x?x1xf64>
    %200 = frond.unary rsqrt %199 : tensor<?x?x1xf64>
    %201 = frond.binary mul %0, %200 : (tensor<?x?x16xf64>, tensor<?x?x1xf64>) -> tensor<?x?x16xf64>
    %202 = frond.binary mul %195, %arg2 : (tensor<?x?x16xf64>, tensor<16xf64>) -> tensor<?x?x16xf64>
    %203 = frond.binary mul %202, %201 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %204 = frond.reduce mean %203 dims = [2] keep_dims : tensor<?x?x16xf64> -> tensor<?x?x1xf64>
    %205 = frond.binary mul %201, %204 : (tensor<?x?x16xf64>, tensor<?x?x1xf64>) -> tensor<?x?x16xf64>
    %206 = frond.binary sub %202, %205 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %207 = frond.binary mul %200, %206 : (tensor<?x?x1xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %208 = frond.binary mul %195, %201 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %209 = frond.reduce sum %208 dims = [0, 1] : tensor<?x?x16xf64> -> tensor<16xf64>
    %210 = frond.binary add %55, %207 : (tensor<?x?x16xf64>, tensor<?x?x16xf64>) -> tensor<?x?x16xf64>
    %211 = frond.embedding_grad %arg0, %210 : (tensor<?x?xi64>, tensor<?x?x16xf64>) -> tensor<32x16xf64>
    return %28, %collapsed, %30, %63, %64#0, %64#1, %64#2, %68, %76, %79, %81, %96, %104, %120, %169, %175 : tensor<?x2x?x8x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8x8xf64>, tensor<?x2x?x8xf64>
  }
}
