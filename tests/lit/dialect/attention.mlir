// RUN: frond-opt %s | frond-opt | FileCheck %s
// RUN: frond-opt %s -cse -canonicalize | FileCheck %s --check-prefix=CANON

// Realistic attention from the seed architectures: PALM's prefix mask (with a
// captured per-sample src_len), ALiBi with learnable slopes, PALM's partial
// attention, PLDR's power-law attention with a padding mask, and Palm's AFT.

// A full PALM self-attention sublayer: pre-norm, GQA projections, RoPE,
// prefix-bidirectional mask, output projection and residual.
// CHECK-LABEL: func.func @palm_self_attention
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?x64xf32>, %[[POS:[^:]*]]: tensor<?x?xi64>, %[[SRC:[^:]*]]: tensor<?xi64>
// CHECK: frond.rms_norm %[[X]] weight
// CHECK: %[[QR:.*]] = frond.rope half %{{.*}}, %[[POS]] theta = 1.000000e+04 scale = 1.000000e+00
// CHECK: %[[QT:.*]] = frond.transpose %[[QR]] permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
// CHECK: frond.attention softmax %[[QT]], %{{.*}}, %{{.*}} scale = 2.500000e-01 captures(%[[SRC]] : tensor<?xi64>)
// CHECK-SAME: : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32> mask {
// CHECK-NEXT: ^bb0(%[[B:.*]]: index, %[[H:.*]]: index, %[[Q:.*]]: index, %[[K:.*]]: index, %[[LEN:.*]]: tensor<?xi64>):
// CHECK-NEXT:   %[[CAUSAL:.*]] = arith.cmpi ule, %[[K]], %[[Q]] : index
// CHECK-NEXT:   %[[L:.*]] = tensor.extract %[[LEN]][%[[B]]] : tensor<?xi64>
// CHECK-NEXT:   %[[LI:.*]] = arith.index_cast %[[L]] : i64 to index
// CHECK-NEXT:   %[[SOURCE:.*]] = arith.cmpi ult, %[[K]], %[[LI]] : index
// CHECK-NEXT:   %[[VIS:.*]] = arith.ori %[[CAUSAL]], %[[SOURCE]] : i1
// CHECK-NEXT:   frond.yield %[[VIS]] : i1
// CHECK-NEXT: }
// CHECK: frond.merge_heads %{{.*}} : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
// CHECK: frond.binary add %[[X]], %{{.*}} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
// CANON-LABEL: func.func @palm_self_attention
// CANON: frond.attention softmax
// CANON: tensor.extract
// CANON: frond.yield
func.func @palm_self_attention(%x: tensor<?x?x64xf32>, %pos: tensor<?x?xi64>, %src_len: tensor<?xi64>,
                               %norm_w: tensor<64xf32>, %wq: tensor<64x64xf32>,
                               %wk: tensor<32x64xf32>, %wv: tensor<32x64xf32>,
                               %wo: tensor<64x64xf32>) -> tensor<?x?x64xf32> {
  %n = frond.rms_norm %x weight %norm_w eps = 1.0e-6 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %q = frond.linear %n, %wq : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %k = frond.linear %n, %wk : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %v = frond.linear %n, %wv : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %qh = frond.split_heads %q heads = 4 : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %kh = frond.split_heads %k heads = 2 : tensor<?x?x32xf32> -> tensor<?x?x2x16xf32>
  %vh = frond.split_heads %v heads = 2 : tensor<?x?x32xf32> -> tensor<?x?x2x16xf32>
  %qr = frond.rope half %qh, %pos theta = 10000.0 scale = 1.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  %kr = frond.rope half %kh, %pos theta = 10000.0 scale = 1.0 : (tensor<?x?x2x16xf32>, tensor<?x?xi64>) -> tensor<?x?x2x16xf32>
  %qt = frond.transpose %qr permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %kt = frond.transpose %kr permutation = [0, 2, 1, 3] : tensor<?x?x2x16xf32> -> tensor<?x2x?x16xf32>
  %vt = frond.transpose %vh permutation = [0, 2, 1, 3] : tensor<?x?x2x16xf32> -> tensor<?x2x?x16xf32>
  // mask prefix(b, h, q, k) = k <= q or k < src_len[b]
  %o = frond.attention softmax %qt, %kt, %vt scale = 0.25 captures(%src_len : tensor<?xi64>)
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %len: tensor<?xi64>):
        %causal = arith.cmpi ule, %j, %i : index
        %l = tensor.extract %len[%b] : tensor<?xi64>
        %li = arith.index_cast %l : i64 to index
        %source = arith.cmpi ult, %j, %li : index
        %visible = arith.ori %causal, %source : i1
        frond.yield %visible : i1
      }
  %ot = frond.transpose %o permutation = [0, 2, 1, 3] : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  %om = frond.merge_heads %ot : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
  %y = frond.linear %om, %wo : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %r = frond.binary add %x, %y : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}

// ALiBi with learnable per-head slopes: causal mask, and the score
// s - slope[h] * (q - k). The slopes are an operand, so their gradient flows.
// CHECK-LABEL: func.func @alibi
// CHECK-SAME: %[[SLOPES:[^:]*]]: tensor<4xf32>
// CHECK: frond.attention softmax {{.*}} captures(%[[SLOPES]] : tensor<4xf32>)
// CHECK: mask {
// CHECK-NEXT: ^bb0(%{{.*}}: index, %{{.*}}: index, %[[Q:.*]]: index, %[[K:.*]]: index, %{{.*}}: tensor<4xf32>):
// CHECK-NEXT:   arith.cmpi ule, %[[K]], %[[Q]] : index
// CHECK: } score {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %[[Q2:.*]]: index, %[[K2:.*]]: index, %[[SL:.*]]: tensor<4xf32>):
// CHECK-NEXT:   %[[D:.*]] = arith.subi %[[Q2]], %[[K2]] : index
// CHECK-NEXT:   %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK-NEXT:   %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK-NEXT:   %[[M:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<4xf32>
// CHECK-NEXT:   %[[BIAS:.*]] = arith.mulf %[[M]], %[[DF]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.subf %[[S]], %[[BIAS]] : f32
// CHECK-NEXT:   frond.yield %[[R]] : f32
func.func @alibi(%q: tensor<?x4x?x16xbf16>, %k: tensor<?x4x?x16xbf16>, %v: tensor<?x4x?x16xbf16>,
                 %slopes: tensor<4xf32>) -> tensor<?x4x?x16xbf16> {
  %o = frond.attention softmax %q, %k, %v scale = 0.25 captures(%slopes : tensor<4xf32>)
      : tensor<?x4x?x16xbf16>, tensor<?x4x?x16xbf16>, tensor<?x4x?x16xbf16> -> tensor<?x4x?x16xbf16>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %sl: tensor<4xf32>):
        %c = arith.cmpi ule, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %sl: tensor<4xf32>):
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %m = tensor.extract %sl[%h] : tensor<4xf32>
        %bias = arith.mulf %m, %df : f32
        %r = arith.subf %s, %bias : f32
        frond.yield %r : f32
      }
  return %o : tensor<?x4x?x16xbf16>
}

// PALM's partial attention: every query sees the K/V of the transformed
// source (Fp net output, a static S_max = 5 slice), with no mask at all.
// CHECK-LABEL: func.func @palm_partial_attention
// CHECK: %[[SRC:.*]] = frond.slice %{{.*}}[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
// CHECK: frond.clamp %{{.*}} min = -1.000000e+02 max = 1.000000e+02 : tensor<?x5x64xf32>
// CHECK: frond.attention softmax {{.*}} scale = 2.500000e-01 kv_source : tensor<?x4x?x16xf32>, tensor<?x4x5x16xf32>, tensor<?x4x5x16xf32> -> tensor<?x4x?x16xf32>{{$}}
func.func @palm_partial_attention(%h1: tensor<?x?x64xf32>, %q: tensor<?x4x?x16xf32>,
                                  %fp1: tensor<64x64xf32>, %b1: tensor<64xf32>,
                                  %fp2: tensor<64x64xf32>, %b2: tensor<64xf32>,
                                  %wk: tensor<64x64xf32>, %wv: tensor<64x64xf32>) -> tensor<?x4x?x16xf32> {
  %s = frond.slice %h1[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
  %a = frond.linear %s, %fp1, %b1 : (tensor<?x5x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x5x64xf32>
  %p1 = frond.unary silu %a : tensor<?x5x64xf32>
  %p2 = frond.linear %p1, %fp2, %b2 : (tensor<?x5x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x5x64xf32>
  %p3 = frond.binary add %p2, %p1 : (tensor<?x5x64xf32>, tensor<?x5x64xf32>) -> tensor<?x5x64xf32>
  %p = frond.clamp %p3 min = -100.0 max = 100.0 : tensor<?x5x64xf32>
  %k = frond.linear %p, %wk : (tensor<?x5x64xf32>, tensor<64x64xf32>) -> tensor<?x5x64xf32>
  %v = frond.linear %p, %wv : (tensor<?x5x64xf32>, tensor<64x64xf32>) -> tensor<?x5x64xf32>
  %kh = frond.split_heads %k heads = 4 : tensor<?x5x64xf32> -> tensor<?x5x4x16xf32>
  %vh = frond.split_heads %v heads = 4 : tensor<?x5x64xf32> -> tensor<?x5x4x16xf32>
  %kt = frond.transpose %kh permutation = [0, 2, 1, 3] : tensor<?x5x4x16xf32> -> tensor<?x4x5x16xf32>
  %vt = frond.transpose %vh permutation = [0, 2, 1, 3] : tensor<?x5x4x16xf32> -> tensor<?x4x5x16xf32>
  %o = frond.attention softmax %q, %kt, %vt scale = 0.25 kv_source
      : tensor<?x4x?x16xf32>, tensor<?x4x5x16xf32>, tensor<?x4x5x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// PLDR's power-law graph attention, E = softmax(q G kᵀ / √D) with a causal
// mask that also hides padded keys (token id 0), read from the captured ids.
// CHECK-LABEL: func.func @pldr_power_law
// CHECK: frond.attention power_law %{{.*}}, %{{.*}}, %{{.*}} metric %{{.*}} : tensor<?x4x16x16xf32> scale = 2.500000e-01 captures(%{{.*}} : tensor<?x?xi64>)
// CHECK: ^bb0(%[[B:.*]]: index, %{{.*}}: index, %[[Q:.*]]: index, %[[K:.*]]: index, %[[IDS:.*]]: tensor<?x?xi64>):
// CHECK: tensor.extract %[[IDS]][%[[B]], %[[K]]] : tensor<?x?xi64>
// CHECK: arith.andi
func.func @pldr_power_law(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>,
                          %g: tensor<?x4x16x16xf32>, %ids: tensor<?x?xi64>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention power_law %q, %k, %v metric %g : tensor<?x4x16x16xf32> scale = 0.25
      captures(%ids : tensor<?x?xi64>)
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %tok: tensor<?x?xi64>):
        %causal = arith.cmpi ule, %j, %i : index
        %id = tensor.extract %tok[%b, %j] : tensor<?x?xi64>
        %zero = arith.constant 0 : i64
        %real = arith.cmpi ne, %id, %zero : i64
        %visible = arith.andi %causal, %real : i1
        frond.yield %visible : i1
      }
  return %o : tensor<?x4x?x16xf32>
}

// Palm's causal AFT: y_t = relu(q_t) ⊙ Σ_{s≤t} sigmoid(k_s) ⊙ v_s.
// CHECK-LABEL: func.func @palm_aft
// CHECK: frond.unary relu
// CHECK: frond.unary sigmoid
// CHECK: frond.attention aft {{.*}} scale = 1.000000e+00 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32> mask {
func.func @palm_aft(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %rq = frond.unary relu %q : tensor<?x4x?x16xf32>
  %sk = frond.unary sigmoid %k : tensor<?x4x?x16xf32>
  %o = frond.attention aft %rq, %sk, %v scale = 1.0
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi ule, %j, %i : index
        frond.yield %c : i1
      }
  return %o : tensor<?x4x?x16xf32>
}
