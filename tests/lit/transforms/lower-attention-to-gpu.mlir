// RUN: frond-opt %s -split-input-file -frond-lower-attention-to-gpu -canonicalize -cse | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-lower-attention-to-gpu="element-type=bf16" -canonicalize -cse | FileCheck %s --check-prefix=MMA
// RUN: frond-opt %s -split-input-file -frond-lower-attention-to-gpu="emulate=true" -canonicalize -cse | FileCheck %s --check-prefix=EMU
// RUN: frond-opt %s -split-input-file -frond-lower-attention-to-gpu="emulate=true element-type=bf16" -canonicalize -cse | FileCheck %s --check-prefix=EMUBF16

// Causal softmax attention, f32: the host reads q/k/v through to_buffer,
// allocates the output and the log-sum-exp, and calls the kernel's launch
// placeholder on the grid (query tiles, heads, batch); the kernel lives in
// its own gpu.module with 16-byte aligned workgroup tiles.
// CHECK-LABEL: func.func @causal
// CHECK: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?x16xf32>
// CHECK: %[[LSE:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x4x?xf32>
// CHECK: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK: call @causal_attention_0_launch(%[[TILES]], %c4, %{{.*}}, %[[Q]], %{{.*}}, %{{.*}}, %[[OUT]], %[[LSE]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: frond.attention
// CHECK: func.func private @causal_attention_0_launch({{.*}}) attributes {frond.gpu_kernel = @causal_attention_0::@causal_attention_0}
// CHECK: gpu.module @causal_attention_0
// CHECK: memref.global "private" @tile0 : memref<64x16xf32, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK: memref.global "private" @tile1 : memref<64x16xf32, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// CHECK: gpu.func @causal_attention_0({{.*}}) kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// The key-tile loop carries (max, sum, acc); a tile whose first key comes
// after the query tile's last row is skipped around its barriers, and a
// tile the mask fully covers computes without it.
// CHECK: scf.for %[[KT:.*]] = %c0 to %{{.*}} step %c1 iter_args({{.*}}) -> (f32, f32, vector<16xf32>)
// CHECK: %[[K0:.*]] = arith.muli %[[KT]], %c64
// CHECK: %[[MUST:.*]] = arith.cmpi sle, %{{.*}}, %{{.*}} : index
// CHECK: %[[MAY:.*]] = arith.cmpi sle, %[[K0]], %{{.*}} : index
// CHECK: scf.if %[[MAY]] -> (f32, f32, vector<16xf32>)
// CHECK-NEXT: gpu.barrier
// CHECK: memref.store %{{.*}}, %{{.*}} : memref<64x16xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NEXT: scf.if %[[MUST]] -> (f32, f32, vector<16xf32>)
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<64x16xf32, #gpu.address_space<workgroup>>, vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK-NOT: arith.cmpi sle
// CHECK: math.exp2 %{{.*}} fastmath<afn>
// CHECK: } else {
// The masked branch evaluates the mask per key.
// CHECK: arith.cmpi sle
// CHECK: arith.select
// CHECK: math.exp2 %{{.*}} fastmath<afn>
// Epilogue: out = acc / l, lse = m + log2(l) ln 2 for rows inside the sequence.
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %arg3[
// CHECK: math.log2 %{{.*}} fastmath<afn>
// CHECK: memref.store %{{.*}}, %arg4[
// CHECK: gpu.return

// The bf16 kernel: 4 warps, Q/K/Vᵀ staged in bf16, Q·Kᵀ and P·V on mma.sync
// m16n8k16 with f32 accumulators, row statistics over the quad by shuffles.
// MMA-LABEL: func.func @causal
// MMA: gpu.module @causal_attention_0
// MMA: memref.global "private" @tile0 : memref<64x16xbf16, #gpu.address_space<workgroup>>
// MMA: memref.global "private" @tile1 : memref<64x16xbf16, #gpu.address_space<workgroup>>
// MMA: memref.global "private" @tile2 : memref<16x64xbf16, #gpu.address_space<workgroup>>
// MMA: gpu.func @causal_attention_0({{.*}}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// MMA: arith.truncf %{{.*}} : f32 to bf16
// MMA: vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// MMA: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// MMA: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// MMA: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// MMA: nvvm.mma.sync

// Emulated: the same kernel as host loops, no GPU op.
// EMU-LABEL: func.func @causal
// EMU-DAG: memref.alloca() : memref<64x16xf32>
// EMU-NOT: gpu.
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: math.exp2
// EMU-NOT: gpu.module

// Emulated bf16 tiles: the f32 row kernel (f32 tiles) rounding the q row,
// each k and v row and the probability that multiplies v through bf16, as
// the mma.sync kernel does; the running sum l adds the unrounded p.
// EMUBF16-LABEL: func.func @causal
// EMUBF16-DAG: memref.alloca() : memref<64x16xf32>
// EMUBF16-NOT: gpu.
// EMUBF16: %[[QB:.*]] = arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMUBF16: arith.extf %[[QB]] : vector<16xbf16> to vector<16xf32>
// EMUBF16: scf.for
// EMUBF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMUBF16: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// EMUBF16: math.exp2
// EMUBF16: %[[P:.*]] = math.exp2
// EMUBF16: arith.addf %{{.*}}, %[[P]] : f32
// EMUBF16: %[[PB:.*]] = arith.truncf %[[P]] : f32 to bf16
// EMUBF16: %[[PF:.*]] = arith.extf %[[PB]] : bf16 to f32
// EMUBF16: vector.broadcast %[[PF]] : f32 to vector<16xf32>
// EMUBF16-NOT: gpu.module
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

// Prefix mask with a captured source length: the tile is skipped only when
// it lies after both the causal part and the source (src_len[b] is read once
// per tile from the capture's buffer), and per key with memref.load.
// CHECK-LABEL: func.func @prefix
// CHECK: %[[LEN:.*]] = bufferization.to_buffer %arg3 read_only : tensor<?xi64> to memref<?xi64, strided<[?], offset: ?>>
// CHECK: call @prefix_attention_0_launch({{.*}}, %[[LEN]], {{.*}})
// CHECK: gpu.func @prefix_attention_0(
// CHECK: scf.for
// CHECK: %[[L:.*]] = memref.load %arg3[%block_id_z]
// CHECK: %[[LI:.*]] = arith.index_cast %[[L]] : i64 to index
// CHECK: arith.cmpi slt, %{{.*}}, %[[LI]] : index
// CHECK: arith.ori
// CHECK: scf.if %{{.*}} -> (f32, f32, vector<16xf32>)
// CHECK-NEXT: gpu.barrier
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

// Linear attention: the same kernel with plain weighted sums (no
// exponentials), out = acc / l and l saved for the backward; with
// element-type=bf16 too it takes the f32 row kernel (no mma.sync).
// CHECK-LABEL: func.func @linear
// CHECK: call @linear_attention_0_launch
// CHECK: gpu.func @linear_attention_0
// CHECK-NOT: math.exp2
// CHECK: vector.reduction <add>
// CHECK: arith.cmpf one, %{{.*}}, %cst
// CHECK: vector.fma
// CHECK: arith.divf
// CHECK-NOT: math.log2
// CHECK: gpu.return
// MMA-LABEL: func.func @linear
// MMA: gpu.func @linear_attention_0
// MMA-NOT: nvvm.mma.sync
// MMA: gpu.return
func.func @linear(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention linear %q, %k, %v scale = 1.0
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// aft: no q·k product; the values are k ⊙ v, and out = scale · q ⊙ acc
// without normalising, from the q row the thread already holds.
// CHECK-LABEL: func.func @aft
// CHECK: gpu.func @aft_attention_0
// CHECK: %[[Q:.*]] = vector.from_elements
// CHECK-NOT: vector.reduction
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.fma
// CHECK: %[[QS:.*]] = arith.mulf %[[Q]], %cst : vector<16xf32>
// CHECK: arith.mulf %{{.*}}, %[[QS]] : vector<16xf32>
// CHECK-NOT: arith.divf
// CHECK-NOT: memref.load %arg0[
// CHECK: gpu.return
func.func @aft(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention aft %q, %k, %v scale = 0.5
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// power_law: softmax attention of q G, the product taken on tensors
// before the kernel.
// CHECK-LABEL: func.func @power_law
// CHECK: %[[QG:.*]] = frond.matmul %arg0, %arg3
// CHECK: bufferization.to_buffer %[[QG]] read_only
// CHECK: gpu.func @power_law_attention_0
// CHECK: math.exp2
// CHECK: gpu.return
func.func @power_law(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %g: tensor<?x4x16x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = frond.attention power_law %q, %k, %v metric %g : tensor<?x4x16x16xf32> scale = 0.25
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
