// RUN: frond-opt %s -split-input-file -frond-chunk-linear-attention="chunk=16" -canonicalize -cse | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-chunk-linear-attention="chunk=16" -frond-lower-attention -frond-parallel-scan-scatter -frond-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: not frond-opt %s -split-input-file -frond-chunk-linear-attention="chunk=0" 2>&1 | FileCheck %s --check-prefix=BAD

// The linear kinds under `k <= q` (or no mask) become chunked scans: time
// cut into chunks of 16 (zero-padded to whole chunks of the longer of tq
// and tk), per chunk a [D, E] state Σ k vᵀ (a contraction), the states
// before each chunk by frond.cumsum over chunks shifted by one, the
// chunk's own [16, 16] block masked j <= i, and out = q S + P v.
// GQA: 4 query heads on 2 K/V heads, viewed as [b, 2, 2, n, 16, D].
// CHECK-LABEL: func.func @relaxed
// CHECK-DAG: %[[TK:.*]] = tensor.dim %arg1, %c2
// CHECK-DAG: %[[TQ:.*]] = tensor.dim %arg0, %c2
// CHECK: %[[T:.*]] = arith.maxui %[[TQ]], %[[TK]]
// CHECK: %[[N:.*]] = arith.ceildivui %[[T]], %c16
// CHECK: tensor.insert_slice %arg0
// CHECK: tensor.expand_shape {{.*}} output_shape [%{{.*}}, 2, 2, %[[N]], 16, 16] : tensor<?x4x?x16xf32> into tensor<?x2x2x?x16x16xf32>
// CHECK: tensor.insert_slice %arg1
// CHECK: tensor.expand_shape {{.*}} into tensor<?x2x?x16x16xf32>
// CHECK: tensor.insert_slice %arg2
// CHECK: tensor.expand_shape {{.*}} into tensor<?x2x?x16x8xf32>
// The state of each chunk, then the states before each chunk.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins({{.*}} : tensor<?x2x?x16x16xf32>, tensor<?x2x?x16x8xf32>) outs({{.*}} : tensor<?x2x?x16x8xf32>)
// CHECK: %[[SUMS:.*]] = frond.cumsum %{{.*}} dim = 2 : tensor<?x2x?x16x8xf32>
// CHECK: %[[BEFORE:.*]] = tensor.extract_slice %[[SUMS]][0, 0, 0, 0, 0]
// CHECK: tensor.insert_slice %[[BEFORE]] into %{{.*}}[0, 0, 1, 0, 0]
// The chunk's own block: scores, masked j <= i, times v.
// CHECK: linalg.generic {{.*}} outs({{.*}} : tensor<?x2x2x?x16x16xf32>)
// CHECK: linalg.index 4
// CHECK: linalg.index 5
// CHECK: arith.cmpi ule
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<?x2x2x?x16x16xf32>, tensor<?x2x?x16x8xf32>) outs({{.*}} : tensor<?x2x2x?x16x8xf32>)
// Earlier chunks: out += q S.
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<?x2x2x?x16x16xf32>, tensor<?x2x?x16x8xf32>) outs({{.*}} : tensor<?x2x2x?x16x8xf32>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x4x?x8xf32>
// CHECK: tensor.extract_slice {{.*}}[0, 0, 0, 0] [%{{.*}}, 4, %[[TQ]], 8]
// CHECK: arith.mulf %{{.*}}, %cst
// CHECK-NOT: frond.attention
// LINALG-LABEL: func.func @relaxed
// LINALG-NOT: frond.
func.func @relaxed(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = frond.attention relaxed_linear %q, %k, %v scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// linear: v gets a column of ones (on the real rows), so the scan's last
// column is the normaliser Z; out = N / Z.
// CHECK-LABEL: func.func @linear
// CHECK: tensor.insert_slice %arg2 into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, %{{.*}}, 8] [1, 1, 1, 1] : tensor<?x2x?x8xf32> into tensor<?x2x?x9xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 8] [%{{.*}}, 2, %{{.*}}, 1] [1, 1, 1, 1] : tensor<?x2x?x1xf32> into tensor<?x2x?x9xf32>
// CHECK: frond.cumsum %{{.*}} dim = 2 : tensor<?x2x?x16x9xf32>
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x2x?x9xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[Z:.*]], #{{.*}}]
// CHECK: arith.divf
// CHECK-NOT: frond.attention
func.func @linear(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = frond.attention linear %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi ule, %j, %i : index
        frond.yield %c : i1
      }
  return %o : tensor<?x2x?x8xf32>
}

// -----

// Gradient: three scans. dq over j <= i (a prefix cumsum); dk and dv over
// i >= j (suffix cumsums, shifted the other way), the query heads of a
// group summing into their kv head (a second reduction loop).
// CHECK-LABEL: func.func @relaxed_grad
// CHECK: frond.cumsum %{{.*}} dim = 2 : tensor<?x2x?x8x16xf32>
// CHECK: arith.cmpi ule
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x4x?x16xf32>
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: %[[SUMS:.*]] = frond.cumsum %{{.*}} dim = 2 reverse : tensor<?x2x?x8x16xf32>
// CHECK: %[[AFTER:.*]] = tensor.extract_slice %[[SUMS]][0, 0, 1, 0, 0]
// CHECK: tensor.insert_slice %[[AFTER]] into %{{.*}}[0, 0, 0, 0, 0]
// CHECK: arith.cmpi uge
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x2x?x16xf32>
// CHECK: frond.cumsum %{{.*}} dim = 2 reverse : tensor<?x2x?x16x8xf32>
// CHECK: arith.cmpi uge
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x2x?x8xf32>
// CHECK-NOT: frond.attention_grad
// LINALG-LABEL: func.func @relaxed_grad
// LINALG-NOT: frond.
func.func @relaxed_grad(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>, %o: tensor<?x4x?x8xf32>, %do: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>) {
  %g:3 = frond.attention_grad relaxed_linear %q, %k, %v, %o, %do scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
      -> tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %g#0, %g#1, %g#2 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>
}

// -----

// No mask: one state over all positions (a reduction over chunks), no
// chunk blocks and no scan.
// CHECK-LABEL: func.func @bidirectional
// CHECK-NOT: frond.cumsum
// CHECK-NOT: arith.cmpi
// CHECK: iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]
// CHECK-NOT: frond.attention
func.func @bidirectional(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = frond.attention relaxed_linear %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// -----

// aft needs no chunks: out = scale · q ⊙ cumsum_t(k ⊙ v), q viewed as
// [b, Hkv, group, t, D]; the gradient's dkv is a reverse cumsum of
// scale · Σ_group dout ⊙ q.
// CHECK-LABEL: func.func @aft
// CHECK: arith.mulf
// CHECK: frond.cumsum %{{.*}} dim = 2 : tensor<?x1x?x8xf32>
// CHECK: tensor.expand_shape %arg0 {{.*}} into tensor<?x1x2x?x8xf32>
// CHECK: frond.cumsum %{{.*}} dim = 2 reverse : tensor<?x1x?x8xf32>
// CHECK-NOT: frond.attention
func.func @aft(%q: tensor<?x2x?x8xf32>, %k: tensor<?x1x?x8xf32>, %v: tensor<?x1x?x8xf32>, %do: tensor<?x2x?x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>) {
  %o = frond.attention aft %q, %k, %v scale = 0.5
      : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32> -> tensor<?x2x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  %g:3 = frond.attention_grad aft %q, %k, %v, %o, %do scale = 0.5
      : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
      -> tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %o, %g#0, %g#1, %g#2 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>
}

// -----

// Left to the attention kernels: softmax; a score region; a mask that is
// not exactly k <= q (strictly causal, sliding window); f16.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: frond.attention
// CHECK-NOT: frond.cumsum
func.func @kept(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %h: tensor<?x2x?x16xf16>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf16>) {
  %a = frond.attention softmax %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
      mask {
      ^bb0(%b: index, %hh: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  %s = frond.attention relaxed_linear %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
      score {
      ^bb0(%x: f32, %b: index, %hh: index, %i: index, %j: index):
        %y = arith.mulf %x, %x : f32
        frond.yield %y : f32
      }
  %m = frond.attention aft %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
      mask {
      ^bb0(%b: index, %hh: index, %i: index, %j: index):
        %c = arith.cmpi slt, %j, %i : index
        frond.yield %c : i1
      }
  %f = frond.attention linear %h, %h, %h scale = 0.25
      : tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16> -> tensor<?x2x?x16xf16>
  return %a, %s, %m, %f : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf16>
}

// -----

// BAD: frond-chunk-linear-attention: chunk must be positive, found 0
func.func @empty() {
  return
}
