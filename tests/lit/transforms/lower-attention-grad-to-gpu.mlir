// RUN: frond-opt %s -frond-lower-attention-to-gpu -canonicalize -cse | FileCheck %s
// RUN: frond-opt %s -frond-lower-attention-to-gpu="emulate=true" -canonicalize -cse | FileCheck %s --check-prefix=EMU
// RUN: frond-opt %s -frond-lower-attention-to-gpu="element-type=bf16" -canonicalize -cse | FileCheck %s --check-prefix=BF16
// RUN: frond-opt %s -frond-lower-attention-to-gpu="element-type=bf16 emulate=true" -canonicalize -cse | FileCheck %s --check-prefix=EMU-BF16

// The backward of a lowered forward: attention_grad reads the forward's
// saved log-sum-exp and becomes two launches, the dQ kernel on the grid
// (query tiles, 4 heads, batch) and the dK/dV kernel on (key tiles, 2 K/V
// heads, batch). The captured slopes' gradient is zeroed on the host and
// receives the dQ kernel's atomic adds at the element the score reads.
// CHECK-LABEL: func.func @alibi
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?x8xf32>
// CHECK: %[[LSE:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?xf32>
// CHECK: call @alibi_attention_0_launch({{.*}}, %[[OUT]], %[[LSE]])
// CHECK: %[[O:.*]] = memref.cast %[[OUT]]
// CHECK: %[[DELTA:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?xf32>
// CHECK: %[[DQ:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?x16xf32>
// CHECK: %[[DK:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x2x?x16xf32>
// CHECK: %[[DV:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x2x?x8xf32>
// CHECK: %[[DSLOPES:.*]] = memref.alloc() : memref<4xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[DSLOPES]] : memref<4xf32>)
// CHECK: call @alibi_attention_1_dq_launch(%{{.*}}, %c4, %{{.*}}, %[[O]], %{{.*}}, %[[LSE]], %[[DELTA]], %[[DQ]], %[[DK]], %[[DV]], %{{.*}}, %[[DSLOPES]])
// CHECK: call @alibi_attention_1_dkv_launch(%{{.*}}, %c2, %{{.*}}, %[[O]], %{{.*}}, %[[LSE]], %[[DELTA]], %[[DQ]], %[[DK]], %[[DV]], %{{.*}}, %[[DSLOPES]])
// CHECK: bufferization.to_tensor %[[DQ]] restrict writable
// CHECK: bufferization.to_tensor %[[DK]] restrict writable
// CHECK: bufferization.to_tensor %[[DV]] restrict writable
// CHECK: bufferization.to_tensor %[[DSLOPES]] restrict writable
// CHECK-NOT: frond.attention_grad

// dQ kernel: a thread per query row; delta = dO·O; the saved lse (-inf for
// a row without keys read as +inf); per key tile (skipped past the causal
// diagonal) P = 2^((s - lse) log2 e), G = P (dP - delta), dQ += dS k, and
// the slope's gradient G · (j - i) added where G != 0.
// CHECK: gpu.module @alibi_attention_1_dq
// CHECK: gpu.func @alibi_attention_1_dq({{.*}}) kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// CHECK: vector.reduction <add>
// CHECK: arith.cmpf oeq, %{{.*}}, %cst
// CHECK: arith.select
// CHECK: scf.for {{.*}} -> (vector<16xf32>)
// CHECK: scf.if %{{.*}} -> (vector<16xf32>)
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: math.exp2 %{{.*}} fastmath<afn>
// CHECK: arith.cmpf one
// CHECK: memref.atomic_rmw addf %{{.*}}, %arg11[%block_id_y] : (f32, memref<4xf32>) -> f32
// CHECK: vector.fma
// CHECK: memref.store %{{.*}}, %arg7[
// CHECK: memref.store %{{.*}}, %arg6[
// CHECK: gpu.return

// dK/dV kernel: a thread per key row; the 2 query heads of the K/V head,
// then their query tiles (skipped before the causal diagonal) with Q and dO
// staged; dV += P dO, dK += dS q; no atomics.
// CHECK: gpu.module @alibi_attention_1_dkv
// CHECK: gpu.func @alibi_attention_1_dkv(
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<8xf32>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<8xf32>)
// CHECK: scf.if %{{.*}} -> (vector<16xf32>, vector<8xf32>)
// CHECK-NEXT: gpu.barrier
// CHECK: memref.store %{{.*}} : memref<64x16xf32, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}} : memref<64x8xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: atomic_rmw
// CHECK: memref.store %{{.*}}, %arg8[
// CHECK: memref.store %{{.*}}, %arg9[
// CHECK: gpu.return

// After a bf16 forward (mma.sync), the backward is on tensor cores too:
// 4 warps per block (query-tile 64), K/V (dQ) and Q/dO (dK/dV) staged in
// bf16 (Dv = 8 padded to 16), S = Q Kᵀ and dP = dO Vᵀ then dQ += dS K as
// mma.sync; the dQ kernel sums delta over a row's 4 lanes with shuffles
// and adds the slopes' gradient atomically; the dK/dV kernel has neither.
// BF16: gpu.func @alibi_attention_1_dq(
// BF16-SAME: known_block_size = array<i32: 128, 1, 1>
// BF16: gpu.shuffle xor
// BF16: memref.store %{{.*}} : memref<64x16xbf16, #gpu.address_space<workgroup>>
// BF16: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>
// BF16: math.exp2
// BF16: memref.atomic_rmw addf
// BF16: nvvm.mma.sync
// BF16: memref.store %{{.*}}, %arg7[
// BF16: memref.store %{{.*}}, %arg6[
// BF16: gpu.return
// BF16: gpu.func @alibi_attention_1_dkv(
// BF16-SAME: known_block_size = array<i32: 128, 1, 1>
// BF16-NOT: gpu.shuffle
// BF16-NOT: atomic_rmw
// BF16: nvvm.mma.sync
// BF16-NOT: atomic_rmw
// BF16: memref.store %{{.*}}, %arg8[
// BF16: memref.store %{{.*}}, %arg9[
// BF16: gpu.return

// Emulated bf16: the f32 kernels as host loops, rounding where the
// mma.sync kernels do: in the dQ loop q once, dO once (for dP and delta
// alike), each k and v row, then dS; in the dK/dV loop k and v once, each
// q and dO row, then dS and P.
// EMU-BF16-LABEL: func.func @alibi
// EMU-BF16-NOT: nvvm.
// EMU-BF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMU-BF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// EMU-BF16: scf.for
// EMU-BF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMU-BF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// EMU-BF16: math.exp2
// EMU-BF16: arith.truncf %{{.*}} : f32 to bf16
// EMU-BF16: memref.atomic_rmw addf
// EMU-BF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMU-BF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// EMU-BF16: scf.for
// EMU-BF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMU-BF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// EMU-BF16: math.exp2
// EMU-BF16: arith.truncf %{{.*}} : f32 to bf16
// EMU-BF16: arith.truncf %{{.*}} : f32 to bf16
// EMU-BF16-NOT: nvvm.

// Emulated: the same bodies as host loops, the dQ kernel's before the
// dK/dV kernel's; no GPU op.
// EMU-LABEL: func.func @alibi
// EMU-NOT: gpu.
// EMU: memref.atomic_rmw addf
// EMU-NOT: gpu.
// EMU: return
func.func @alibi(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>, %do: tensor<?x4x?x8xf32>, %slopes: tensor<4xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<4xf32>) {
  %o = frond.attention softmax %q, %k, %v scale = 0.25 captures(%slopes : tensor<4xf32>)
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %c0: tensor<4xf32>):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %c0: tensor<4xf32>):
        %e = tensor.extract %c0[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %m = arith.mulf %e, %df : f32
        %r = arith.addf %s, %m : f32
        frond.yield %r : f32
      }
  %g:4 = frond.attention_grad softmax %q, %k, %v, %o, %do scale = 0.25 captures(%slopes : tensor<4xf32>)
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
      -> tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> capture_grads(tensor<4xf32>)
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %c0: tensor<4xf32>):
        %c = arith.cmpi sle, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %c0: tensor<4xf32>):
        %e = tensor.extract %c0[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %m = arith.mulf %e, %df : f32
        %r = arith.addf %s, %m : f32
        frond.yield %r : f32
      }
  return %g#0, %g#1, %g#2, %g#3 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<4xf32>
}
