// RUN: frond-opt %s -split-input-file -frond-lower-attention="query-tile=16 key-tile=32" | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-lower-attention -frond-lower-to-linalg | FileCheck %s --check-prefix=LINALG

// Causal softmax attention: b / h / query-tile / key-tile loops, the key
// loop carrying (max, sum, acc); masked-out tiles skipped, full tiles
// computed without the mask; no [tq, tk] score buffer anywhere.
// CHECK-LABEL: func.func @causal
// CHECK: %[[TQ:.*]] = tensor.dim %arg0, %c2
// CHECK: %[[TK:.*]] = tensor.dim %arg1, %c2
// CHECK-NOT: tensor.empty(%[[TQ]], %[[TK]])
// CHECK: scf.for %[[B:.*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[H:.*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[Q0:.*]] = %c0 to %[[TQ]] step %c16
// CHECK: %[[QLEN:.*]] = arith.minsi %c16
// CHECK: %[[QT:.*]] = tensor.extract_slice %arg0[%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %{{.*}}, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x16xf32>
// CHECK: linalg.fill ins(%cst{{.*}} : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: scf.for %[[K0:.*]] = %c0 to %[[TK]] step %c32 iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>)
// CHECK: %[[KLEN:.*]] = arith.minsi %c32
// CHECK: %[[SKIP:.*]] = arith.cmpi sgt, %[[K0]]
// CHECK: %[[FULL:.*]] = arith.cmpi sle
// CHECK: scf.if %[[SKIP]] -> (tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>)
// CHECK-NEXT: scf.yield %[[M]], %[[L]], %[[ACC]]
// CHECK: } else {
// CHECK: tensor.extract_slice %arg1[%[[B]], %{{.*}}, %[[K0]], 0]
// The only 2-D score buffer is [qlen, klen] (at most 16 x 32).
// CHECK-NOT: tensor.empty(%[[TQ]], %[[TK]])
// CHECK: tensor.empty(%[[QLEN]], %[[KLEN]]) : tensor<?x?xf32>
// CHECK: scf.if %[[FULL]] -> (tensor<?x?xf32>)
// CHECK-NOT: arith.cmpi sle, %{{.*}}, %{{.*}} : index
// CHECK: } else {
// CHECK: linalg.generic
// CHECK: arith.cmpi sle
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst
// CHECK: math.exp
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %{{.*}}, 16]
// CHECK-NOT: frond.attention
// LINALG-LABEL: func.func @causal
// LINALG-NOT: frond.
func.func @causal(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention softmax %q, %k, %v scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %o : tensor<?x4x?x16xf32>
}

// -----

// Prefix mask (causal or a captured source length): no tile is skipped, but
// tiles the causal part covers skip the mask; the capture is read inside
// the score tile's generic.
// CHECK-LABEL: func.func @prefix
// CHECK-SAME: %[[LEN:[^:]*]]: tensor<?xi64>
// CHECK: scf.for
// CHECK-NOT: arith.cmpi sgt
// CHECK: %[[FULL:.*]] = arith.cmpi sle
// CHECK: scf.if %[[FULL]] -> (tensor<?x?xf32>)
// CHECK: } else {
// CHECK: linalg.generic
// CHECK: tensor.extract %[[LEN]]
// CHECK: arith.ori
func.func @prefix(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %src_len: tensor<?xi64>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention softmax %q, %k, %v scale = 0.25 captures(%src_len : tensor<?xi64>)
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %len: tensor<?xi64>):
        %causal = arith.cmpi ule, %j, %i : index
        %l = tensor.extract %len[%b] : tensor<?xi64>
        %li = arith.index_cast %l : i64 to index
        %source = arith.cmpi ult, %j, %li : index
        %visible = arith.ori %causal, %source : i1
        frond.yield %visible : i1
      }
  return %o : tensor<?x4x?x16xf32>
}

// -----

// No mask, a score region (ALiBi-like bias): inlined per score element,
// no scf.if on tiles.
// CHECK-LABEL: func.func @score_only
// CHECK-NOT: scf.if
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: tensor.extract %arg3
// CHECK: arith.subf
func.func @score_only(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %slopes: tensor<2xf32>) -> tensor<1x2x8x4xf32> {
  %o = frond.attention softmax %q, %k, %v scale = 0.5 captures(%slopes : tensor<2xf32>)
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
      score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %sl: tensor<2xf32>):
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %m = tensor.extract %sl[%h] : tensor<2xf32>
        %bias = arith.mulf %m, %df : f32
        %r = arith.subf %s, %bias : f32
        frond.yield %r : f32
      }
  return %o : tensor<1x2x8x4xf32>
}

// -----

// aft: no q·k product (the pair weight is 1 before the mask), values are
// k ⊙ v, and the tile's sum is multiplied by scale · q at the end. The
// causal mask still skips key tiles after the query tile.
// CHECK-LABEL: func.func @aft
// CHECK: scf.for
// CHECK: scf.if
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ONE]] : f32)
// CHECK: linalg.generic
// CHECK: ^bb0(%[[K:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[K]], %[[V]] : f32
// CHECK-NOT: arith.divf
// CHECK: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[QS:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[QS]] : f32
// CHECK: tensor.insert_slice
func.func @aft(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = frond.attention aft %q, %k, %v scale = 0.25
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  return %o : tensor<?x2x?x8xf32>
}
