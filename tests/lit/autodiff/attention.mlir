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
// LOWER: arith.cmpi sgt
// LOWER: scf.if
// LOWER: arith.maximumf
// LOWER: math.log
// LOWER: scf.for
// LOWER: arith.cmpi sgt
// LOWER: scf.if
// LOWER: math.exp
// The score region's derivative (forward mode): 1 - tanh².
// LOWER: math.tanh
// LOWER: arith.subf %{{.*}}, %{{.*}} : f32
// LOWER: tensor.insert_slice

// LLVM: llvm.func @attn_grad(
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
