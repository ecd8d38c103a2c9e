// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg -verify-diagnostics

// Attention must go through -frond-lower-attention first.
func.func @test_not_attention_in_linalg(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{run -frond-lower-attention before -frond-lower-to-linalg}}
  %o = frond.attention softmax %q, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

