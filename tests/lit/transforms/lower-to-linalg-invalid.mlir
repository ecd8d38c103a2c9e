// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg -verify-diagnostics

// Attention must go through -frond-lower-attention first.
func.func @test_not_attention_in_linalg(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{run -frond-lower-attention before -frond-lower-to-linalg}}
  %o = frond.attention softmax %q, %q, %q scale = 1.0
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

// Per-sample slice bounds are not lowered yet.
func.func @test_not_per_sample_slice(%ids: tensor<?x?xi64>, %len: tensor<?xi64>) -> tensor<?x?xi64> {
  // expected-error @+2 {{per-sample slice bounds (a [b] tensor) are not lowered yet}}
  // expected-error @+1 {{failed to legalize operation 'frond.slice'}}
  %t = frond.slice %ids[%len :] dim = 1 pad = -100 : i64 : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
  return %t : tensor<?x?xi64>
}
