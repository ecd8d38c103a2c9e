// RUN: frond-opt %s -frond-lower-attention -verify-diagnostics

func.func @test_not_aft(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{attention kind 'aft' is not lowered yet}}
  %o = frond.attention aft %q, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
