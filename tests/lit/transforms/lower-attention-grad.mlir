// RUN: frond-opt %s -split-input-file -frond-lower-attention="query-tile=16 key-tile=32" -canonicalize -cse | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-lower-attention -frond-lower-to-linalg | FileCheck %s --check-prefix=LINALG

// The backward of each attention kind (frond.attention_grad), lowered tile
// by tile: (b, h, query tile) loops carry the gradients; per query tile the
// key tiles are swept; the only 2-D tiles are [qlen, klen] (at most 16 x
// 32), never [tq, tk].

// linear (normalised), GQA 4 query heads on 2 K/V heads, Dv != D. Sweep 1
// sums the masked scores per row (L); sweep 2 recomputes P = s / L, adds
// dV = Pᵀ dO, and G = m (dP - D) / L with D = rowsum(dO ∘ O); dK and dV go
// to K/V head h / 2. Tiles after the causal query tile are skipped.
// CHECK-LABEL: func.func @linear
// CHECK: %[[TK:.*]] = tensor.dim %arg1, %c2
// CHECK: %[[TQ:.*]] = tensor.dim %arg0, %c2
// CHECK-NOT: tensor.empty(%[[TQ]], %[[TK]])
// CHECK: scf.for %[[B:[^ ]*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[H:[^ ]*]] = %c0 to %c4 step %c1
// CHECK: %[[KVH:.*]] = arith.divui %[[H]], %c2
// CHECK: scf.for %[[Q0:[^ ]*]] = %c0 to %[[TQ]] step %c16
// CHECK: %[[QLEN:.*]] = arith.minsi
// CHECK: %[[END:.*]] = arith.addi %[[Q0]], %[[QLEN]]
// Sweep 1: L.
// CHECK: scf.for %[[K0:[^ ]*]] = %c0 to %[[TK]] step %c32 iter_args(%{{.*}}) -> (tensor<?xf32>)
// CHECK: %[[SKIP:.*]] = arith.cmpi sge, %[[K0]], %[[END]]
// CHECK: scf.if %[[SKIP]]
// CHECK: %[[KLEN:.*]] = arith.minsi
// CHECK: tensor.empty(%[[QLEN]], %[[KLEN]]) : tensor<?x?xf32>
// CHECK: arith.select
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// Sweep 2: the gradients; d(q) of the tile, dk, dv carried.
// CHECK: scf.for %[[K1:[^ ]*]] = %c0 to %[[TK]] step %c32 iter_args({{.*}}) -> (tensor<?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>)
// CHECK: arith.cmpi sge, %[[K1]], %[[END]]
// CHECK: tensor.extract_slice %arg1[%[[B]], %[[KVH]], %[[K1]], 0]
// P = s / L (0 for a row without keys)
// CHECK: arith.cmpf oeq
// CHECK-NEXT: arith.divf
// CHECK-NEXT: arith.select
// G = m (dP - D) / L
// CHECK: arith.subf
// CHECK-NEXT: arith.cmpf oeq
// CHECK-NEXT: arith.divf
// CHECK-NEXT: arith.select
// CHECK: arith.cmpi sle
// CHECK-NEXT: arith.select
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[KVH]], %[[K1]], 0] [1, 1, %{{.*}}, 16]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[KVH]], %[[K1]], 0] [1, 1, %{{.*}}, 8]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[QLEN]], 16]
// CHECK-NOT: frond.attention_grad
// LINALG-LABEL: func.func @linear
// LINALG-NOT: frond.
func.func @linear(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>, %o: tensor<?x4x?x8xf32>, %do: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>) {
  %g:3 = frond.attention_grad linear %q, %k, %v, %o, %do scale = 0.25
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

// relaxed_linear without a mask: no row statistic, so one sweep; P is the
// score itself, G = dP, and no key tile is skipped.
// CHECK-LABEL: func.func @relaxed
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} step %c16
// CHECK-NOT: scf.if
// CHECK-NOT: math.exp
// CHECK-NOT: arith.divf
// CHECK: scf.for %{{.*}} step %c32 iter_args(%{{.*}}) -> (tensor<?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>)
// CHECK-NOT: scf.if
// CHECK-NOT: arith.divf
// CHECK: tensor.insert_slice
// CHECK: tensor.insert_slice
// CHECK: return
// LINALG-LABEL: func.func @relaxed
// LINALG-NOT: frond.
func.func @relaxed(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %o: tensor<?x2x?x8xf32>, %do: tensor<?x2x?x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) {
  %g:3 = frond.attention_grad relaxed_linear %q, %k, %v, %o, %do scale = 0.5
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
      -> tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
  return %g#0, %g#1, %g#2 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
}

// -----

// aft with a learnable per-head weight bias[h] (captured): one sweep with
// U = scale · q ∘ dO; per key tile W = m (1 + bias[h]), A += W (k ∘ v),
// d(k ∘ v) = Wᵀ U, then dK = v ∘ d(k ∘ v), dV = k ∘ d(k ∘ v); the bias
// gets Σ m U (k ∘ v)ᵀ by a scalar walk over the tile; dQ = scale · dO ∘ A.
// CHECK-LABEL: func.func @aft
// CHECK-SAME: %[[BIAS:[^:]*]]: tensor<2xf32>
// CHECK: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[DBIAS0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}, %{{.*}} = %[[DBIAS0]]) -> ({{.*}}, tensor<2xf32>)
// CHECK: scf.for %[[H:[^ ]*]] = %c0 to %c2
// CHECK: scf.for %[[Q0:[^ ]*]] = %c0 to %{{.*}} step %c16
// U = scale · q ∘ dO
// CHECK: ^bb0(%[[QE:.*]]: f32, %[[DOE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[QDO:.*]] = arith.mulf %[[QE]], %[[DOE]] : f32
// CHECK-NEXT: arith.mulf %[[QDO]], %[[SCALE]] : f32
// CHECK: scf.for %[[K0:[^ ]*]] = %c0 to %{{.*}} step %c32 iter_args({{.*}}) -> (tensor<?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<2xf32>)
// CHECK: arith.cmpi sge, %[[K0]]
// CHECK: scf.if
// CHECK: %[[KLEN:.*]] = arith.minsi
// W = m (1 + bias[h]): a [qlen, klen] tile
// CHECK: %[[W0:.*]] = tensor.empty(%{{.*}}, %[[KLEN]]) : tensor<?x?xf32>
// CHECK: tensor.extract %[[BIAS]][%[[H]]] : tensor<2xf32>
// CHECK: arith.cmpi sle
// CHECK-NOT: math.exp
// The bias's gradient: a scalar walk over the tile.
// CHECK: scf.for %[[I:[^ ]*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (tensor<2xf32>)
// CHECK-NEXT: scf.for %[[J:[^ ]*]] = %c0 to %[[KLEN]] step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<2xf32>)
// CHECK-NEXT: %[[DW:.*]] = tensor.extract %{{.*}}[%[[I]], %[[J]]] : tensor<?x?xf32>
// CHECK-NEXT: %[[CUR:.*]] = tensor.extract %[[ACC]][%[[H]]] : tensor<2xf32>
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[CUR]], %[[DW]] : f32
// CHECK-NEXT: tensor.insert %[[SUM]] into %[[ACC]][%[[H]]] : tensor<2xf32>
// dQ = scale · dO ∘ A, added at the query tile.
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, %[[H]], %[[Q0]], 0]
// CHECK: return
// LINALG-LABEL: func.func @aft
// LINALG-NOT: frond.
func.func @aft(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %o: tensor<?x2x?x8xf32>, %do: tensor<?x2x?x8xf32>, %bias: tensor<2xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<2xf32>) {
  %g:4 = frond.attention_grad aft %q, %k, %v, %o, %do scale = 0.25 captures(%bias : tensor<2xf32>)
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
      -> tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> capture_grads(tensor<2xf32>)
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %c0: tensor<2xf32>):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %c0: tensor<2xf32>):
        %e = tensor.extract %c0[%h] : tensor<2xf32>
        %r = arith.addf %s, %e : f32
        frond.yield %r : f32
      }
  return %g#0, %g#1, %g#2, %g#3 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<2xf32>
}

// -----

// power_law: scores from (q G) kᵀ with G = metric[b, h] [8, 8]. Sweep 1 is
// the softmax one (row max, then log-sum-exp); sweep 2 accumulates d(qG);
// after it dq = d(qG) Gᵀ and dG[b, h] += qᵀ d(qG).
// CHECK-LABEL: func.func @power_law
// CHECK: %[[DG0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4x8x8xf32>)
// CHECK: scf.for %[[B:[^ ]*]] = {{.*}} iter_args({{.*}}, %{{.*}} = %[[DG0]]) -> ({{.*}}, tensor<?x4x8x8xf32>)
// CHECK: scf.for %[[H:[^ ]*]] = %c0 to %c4
// CHECK: scf.for %[[Q0:[^ ]*]] =
// CHECK: %[[QT:.*]] = tensor.extract_slice %arg0[%[[B]], %[[H]], %[[Q0]], 0]
// CHECK: %[[G:.*]] = tensor.extract_slice %arg3[%[[B]], %[[H]], 0, 0] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<?x4x8x8xf32> to tensor<8x8xf32>
// CHECK: %[[QG:.*]] = linalg.generic {{.*}} ins(%[[QT]], %[[G]] : tensor<?x8xf32>, tensor<8x8xf32>)
// CHECK: scf.for {{.*}} -> (tensor<?xf32>, tensor<?xf32>)
// CHECK: arith.maximumf
// CHECK: math.log
// CHECK: %[[SW:.*]]:3 = scf.for {{.*}} -> (tensor<?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[QG]], %{{.*}} : tensor<?x8xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK: math.exp
// dK from qG:
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[QG]] : tensor<?x?xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// dq = d(qG) Gᵀ; dG += qᵀ d(qG) into metric_grad[b, h].
// CHECK: linalg.generic {{.*}} ins(%[[SW]]#0, %[[G]] : tensor<?x8xf32>, tensor<8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[QT]], %[[SW]]#0 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, 8, 8]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[Q0]], 0]
// LINALG-LABEL: func.func @power_law
// LINALG-NOT: frond.
func.func @power_law(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %g: tensor<?x4x8x8xf32>, %o: tensor<?x4x?x8xf32>, %do: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x8x8xf32>) {
  %r:4 = frond.attention_grad power_law %q, %k, %v metric %g : tensor<?x4x8x8xf32>, %o, %do scale = 0.25
      : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
      -> tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> metric_grad tensor<?x4x8x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %r#0, %r#1, %r#2, %r#3 : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x8x8xf32>
}
