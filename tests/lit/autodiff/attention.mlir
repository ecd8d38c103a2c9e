// RUN: frond-opt %s -frond-autodiff | FileCheck %s
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse -frond-lower-attention="query-tile=16 key-tile=16" | FileCheck %s --check-prefix=LOWER
// RUN: frond-opt %s -frond-autodiff -canonicalize -cse --frond-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// The attention rule builds frond.attention_grad with the forward's mask
// and score regions; q, k and v get their gradients from it.
// CHECK-LABEL: func.func @attn_grad(
// CHECK: %[[O:.*]] = frond.attention softmax %arg0, %arg1, %arg2 scale = 2.500000e-01
// CHECK: %{{.*}}:3 = frond.attention_grad softmax %arg0, %arg1, %arg2, %[[O]], %{{.*}} scale = 2.500000e-01
// CHECK-SAME: -> tensor<?x2x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>
// CHECK-NEXT: ^bb0(%b: index, %h: index, %q: index, %k: index):
// CHECK-NEXT: arith.cmpi sle, %k, %q : index
// CHECK: } score {
// CHECK: math.tanh

// Lowered: per query tile, sweep 1 recomputes the row max and sum (the
// log-sum-exp); sweep 2 recomputes the probabilities and accumulates the
// gradients. Both skip key tiles after a causal query tile.
// LOWER-LABEL: func.func @attn_grad(
// LOWER-NOT: frond.attention_grad
// LOWER: scf.for
// LOWER: scf.for
// LOWER: arith.cmpi sge
// LOWER: scf.if
// LOWER: arith.maximumf
// LOWER: math.log
// LOWER: scf.for
// LOWER: arith.cmpi sge
// LOWER: scf.if
// LOWER: math.exp
// The score region's derivative (forward mode): 1 - tanh².
// LOWER: math.tanh
// LOWER: arith.subf %{{.*}}, %{{.*}} : f32
// LOWER: tensor.insert_slice

// LLVM-DAG: llvm.func @attn_grad(
// LLVM-DAG: llvm.func @alibi_grad(
// LLVM-DAG: llvm.func @pldr_grad(
func.func @attn_forward(%q: tensor<?x2x?x16xf32> {frond.name = "q", frond.trainable = true},
                        %k: tensor<?x1x?x16xf32> {frond.name = "k", frond.trainable = true},
                        %v: tensor<?x1x?x16xf32> {frond.name = "v", frond.trainable = true})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %o = frond.attention softmax %q, %k, %v scale = 0.25
      : tensor<?x2x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %cap = arith.constant 5.0 : f32
        %x = arith.divf %s, %cap : f32
        %t = math.tanh %x : f32
        %y = arith.mulf %t, %cap : f32
        frond.yield %y : f32
      }
  %sq = frond.binary mul %o, %o : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %l = frond.reduce sum %sq dims = [0, 1, 2, 3] : tensor<?x2x?x16xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// A learnable capture (ALiBi slopes [h]) and an integer one (a source
// length [b]): the slopes get one extra attention_grad result, the i64
// capture none; the gradient function returns it as grad:slopes.
// CHECK-LABEL: func.func @alibi_grad(
// CHECK-SAME: %[[SLOPES:[^:]*]]: tensor<2xf32> {frond.name = "slopes", frond.trainable = true}
// CHECK-SAME: %[[LEN:[^:]*]]: tensor<?xi64> {frond.name = "len"}
// CHECK-SAME: "grad:slopes"
// CHECK: %[[G:.*]]:4 = frond.attention_grad softmax {{.*}} captures(%[[LEN]], %[[SLOPES]] : tensor<?xi64>, tensor<2xf32>)
// CHECK-SAME: -> tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> capture_grads(tensor<2xf32>) mask {
// CHECK: } score {
// CHECK: tensor.extract %{{.*}}[%h] : tensor<2xf32>
// CHECK: return %{{.*}}, %[[G]]#0, %[[G]]#1, %[[G]]#2, %[[G]]#3 :

// Lowered: the slopes' gradient is carried through every tile loop; per
// key tile a scalar walk over the [qlen, klen] tile adds
// dL/ds' * d(score)/d(slopes[h]) = dL/ds' * -(q - k) at slopes[h].
// LOWER-LABEL: func.func @alibi_grad(
// LOWER-SAME: %[[SLOPES:[^:]*]]: tensor<2xf32>
// LOWER: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// LOWER: scf.for {{.*}} iter_args({{.*}}, %{{.*}} = %[[ZERO]]) -> ({{.*}}, tensor<2xf32>)
// LOWER: scf.for %[[H:[^ ]*]] =
// LOWER: scf.for %[[I:[^ ]*]] = %c0{{.*}} iter_args(%{{.*}}) -> (tensor<2xf32>)
// LOWER-NEXT: scf.for %[[J:[^ ]*]] = %c0{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<2xf32>)
// LOWER-NEXT: %[[DS:.*]] = tensor.extract %{{.*}}[%[[I]], %[[J]]] : tensor<?x?xf32>
// LOWER: tensor.extract %[[SLOPES]][%[[H]]] : tensor<2xf32>
// LOWER: %[[SLOPE:.*]] = arith.negf
// LOWER: %[[ADD:.*]] = arith.mulf %[[DS]], %[[SLOPE]] : f32
// LOWER: %[[CUR:.*]] = tensor.extract %[[ACC]][%[[H]]] : tensor<2xf32>
// LOWER: %[[SUM:.*]] = arith.addf %[[CUR]], %[[ADD]] : f32
// LOWER: tensor.insert %[[SUM]] into %[[ACC]][%[[H]]] : tensor<2xf32>
func.func @alibi_forward(%q: tensor<?x2x?x16xf32> {frond.name = "q", frond.trainable = true},
                         %k: tensor<?x2x?x16xf32> {frond.name = "k", frond.trainable = true},
                         %v: tensor<?x2x?x16xf32> {frond.name = "v", frond.trainable = true},
                         %slopes: tensor<2xf32> {frond.name = "slopes", frond.trainable = true},
                         %len: tensor<?xi64> {frond.name = "len"})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %o = frond.attention softmax %q, %k, %v scale = 0.25 captures(%len, %slopes : tensor<?xi64>, tensor<2xf32>)
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %l: tensor<?xi64>, %sl: tensor<2xf32>):
        %n = tensor.extract %l[%b] : tensor<?xi64>
        %ni = arith.index_cast %n : i64 to index
        %c = arith.cmpi ult, %j, %ni : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %l: tensor<?xi64>, %sl: tensor<2xf32>):
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %m = tensor.extract %sl[%h] : tensor<2xf32>
        %bias = arith.mulf %m, %df : f32
        %r = arith.subf %s, %bias : f32
        frond.yield %r : f32
      }
  %sq = frond.binary mul %o, %o : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %l = frond.reduce sum %sq dims = [0, 1, 2, 3] : tensor<?x2x?x16xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// power_law: the metric G gets its gradient from the same op.
// CHECK-LABEL: func.func @pldr_grad(
// CHECK: %[[P:.*]]:4 = frond.attention_grad power_law %arg0, %arg1, %arg2 metric %arg3 : tensor<?x2x8x8xf32>,
// CHECK-SAME: metric_grad tensor<?x2x8x8xf32> mask {
// CHECK: return %{{.*}}, %[[P]]#0, %[[P]]#1, %[[P]]#2, %[[P]]#3 :
func.func @pldr_forward(%q: tensor<?x2x?x8xf32> {frond.name = "q", frond.trainable = true},
                        %k: tensor<?x1x?x8xf32> {frond.name = "k", frond.trainable = true},
                        %v: tensor<?x1x?x8xf32> {frond.name = "v", frond.trainable = true},
                        %g: tensor<?x2x8x8xf32> {frond.name = "g", frond.trainable = true})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %o = frond.attention power_law %q, %k, %v metric %g : tensor<?x2x8x8xf32> scale = 0.25
      : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32> -> tensor<?x2x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      }
  %sq = frond.binary mul %o, %o : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %l = frond.reduce sum %sq dims = [0, 1, 2, 3] : tensor<?x2x?x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
