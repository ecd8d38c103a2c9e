// RUN: frond-opt %s -split-input-file -verify-diagnostics -frond-lower-attention-to-gpu="element-type=f64"
// RUN: not frond-opt %s -frond-lower-attention-to-gpu="element-type=bf16 query-tile=24" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not frond-opt %s -frond-lower-attention-to-gpu="query-tile=2048" 2>&1 | FileCheck %s --check-prefix=THREADS

// TILE: the mma.sync kernel needs tiles that are multiples of 16, found query-tile=24 key-tile=64
// THREADS: error: query-tile 2048 needs 2048 threads per block (at most 1024); lower query-tile

// expected-error @below {{frond-lower-attention-to-gpu: element-type must be f32, bf16 or f16 and tiles positive, found element-type=f64}}
module {
  func.func @causal(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
    %o = frond.attention softmax %q, %k, %v scale = 0.25
        : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
    return %o : tensor<?x4x?x16xf32>
  }
}
