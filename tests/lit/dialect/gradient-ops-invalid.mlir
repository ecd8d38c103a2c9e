// RUN: frond-opt %s -split-input-file -verify-diagnostics

// The verifiers of slice_grad and expm, and rope's scale (negative scales
// are the gradient's rotations back; zero is not a scale).

func.func @slice_grad_extent(%g: tensor<?x4x64xf32>, %x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.slice_grad' op expects grad of extent 5 along dim 1 (the slice's), found 'tensor<?x4x64xf32>'}}
  %0 = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<?x4x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @slice_grad_other_dims(%g: tensor<?x5x32xf32>, %x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.slice_grad' op expects the extents outside 'dim' to match: grad dim 2 is 32 but input dim 2 is 64}}
  %0 = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<?x5x32xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @slice_grad_result(%g: tensor<?x5x64xf32>, %x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.slice_grad' op result type 'tensor<?x5x32xf32>' does not match the type inferred from the input: expected 'tensor<?x?x64xf32>'}}
  %0 = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x5x32xf32>
  return
}

// -----

func.func @slice_grad_per_sample_dim0(%g: tensor<?x8xf32>, %x: tensor<?x8xf32>, %len: tensor<?xi64>) {
  // expected-error @+1 {{'frond.slice_grad' op expects per-sample bounds ('tensor<?xi64>') to slice a dim other than the sample dim 0}}
  %0 = frond.slice_grad %g into %x[%len :] dim = 0 : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  return
}

// -----

func.func @slice_grad_range(%g: tensor<2x8x64xf32>, %x: tensor<2x10x64xf32>) {
  // expected-error @+1 {{'frond.slice_grad' op slice [4:12] is out of range for dim 1 of extent 10 in 'tensor<2x10x64xf32>'}}
  %0 = frond.slice_grad %g into %x[4 : 12] dim = 1 : (tensor<2x8x64xf32>, tensor<2x10x64xf32>) -> tensor<2x10x64xf32>
  return
}

// -----

func.func @slice_grad_element_type(%g: tensor<?x5x64xf64>, %x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'frond.slice_grad' op expects grad and input to have the same element type}}
  %0 = frond.slice_grad %g into %x[0 : 5] dim = 1 : (tensor<?x5x64xf64>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @expm_not_square(%m: tensor<?x4x16x8xf32>) {
  // expected-error @+1 {{'frond.expm' op expects the matrix dims (D) to match: input dim 2 is 16 but input dim 3 is 8}}
  %0 = frond.expm %m : tensor<?x4x16x8xf32>
  return
}

// -----

func.func @expm_rank(%m: tensor<16xf32>) {
  // expected-error @+1 {{'frond.expm' op expects input of rank at least 2 [B..., D, D], found 'tensor<16xf32>'}}
  %0 = frond.expm %m : tensor<16xf32>
  return
}

// -----

func.func @rope_scale_zero(%x: tensor<?x?x4x16xf32>, %p: tensor<?x?xi64>) {
  // expected-error @+1 {{'frond.rope' op expects a finite, nonzero scale, found 0}}
  %0 = frond.rope half %x, %p theta = 10000.0 scale = 0.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  return
}
