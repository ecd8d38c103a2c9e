// RUN: frond-opt %s "-frond-contractions-to-gpu=element-type=tf32" -canonicalize -cse | FileCheck %s --check-prefix=TF32
// RUN: frond-opt %s "-frond-contractions-to-gpu=element-type=bf16" -canonicalize -cse | FileCheck %s --check-prefix=BF16
// RUN: frond-opt %s "-frond-contractions-to-gpu=element-type=tf32 emulate=true" -canonicalize -cse | FileCheck %s --check-prefix=EMU
// RUN: not frond-opt %s "-frond-contractions-to-gpu=element-type=bf16 tile-m=48" 2>&1 | FileCheck %s --check-prefix=BAD-M
// RUN: not frond-opt %s "-frond-contractions-to-gpu=element-type=fp8" 2>&1 | FileCheck %s --check-prefix=BAD-TYPE
// BAD-M: with element-type=bf16, tile-m must be 16, 32, 64 or 128 (16 rows per warp)
// BAD-TYPE: element-type must be f32, tf32, bf16 or f16, not 'fp8'

// x [b, t, 256] · Wᵀ (W [128, 256]) on tensor cores. The 64 x 64 tile's
// 8 warps: 4 along M (16 rows each) x 2 along N (32 columns, four m16n8
// blocks each), 16 f32 accumulators per lane.
//
// tf32: each staged element is rounded to nearest, ties away (the bits
// plus 0x1000, the low 13 cleared) and stored row-major along the depth,
// [row][16 + 4] (16 bytes of padding); a depth tile of 16 is two k8 steps
// of four m16n8k8 products.
// TF32-LABEL: gpu.func @project_matmul_0(
// TF32-DAG: %[[TA:.*]] = memref.get_global @tile0 : memref<64x20xf32, #gpu.address_space<workgroup>>
// TF32-DAG: %[[TB:.*]] = memref.get_global @tile1 : memref<64x20xf32, #gpu.address_space<workgroup>>
// TF32: %[[KK:.*]] = arith.remui %{{.*}}, %c16
// TF32: %[[RR:.*]] = arith.divui %{{.*}}, %c16
// TF32: scf.for
// TF32: gpu.barrier
// TF32: %[[X:.*]] = scf.if
// TF32: %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// TF32: %[[UP:.*]] = arith.addi %[[BITS]], %c4096_i32
// TF32: %[[CUT:.*]] = arith.andi %[[UP]], %c-8192_i32
// TF32: %[[R:.*]] = arith.bitcast %[[CUT]] : i32 to f32
// TF32: memref.store %[[R]], %[[TA]][%[[RR]], %[[KK]]]
// TF32: gpu.barrier
// TF32-COUNT-8: nvvm.mma.sync A[{{.*}}]  B[{{.*}}]  C[{{.*}}]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>}
// TF32-NOT: nvvm.mma.sync
// TF32: scf.yield
// The accumulators go to C at rows g, g + 8 and columns 2t, 2t + 1 of
// each 8-column block, inside M and N.
// TF32-COUNT-16: memref.store %{{.*}} : memref<?x?x128xf32>
// TF32-NOT: memref.store
// TF32: gpu.return
//
// bf16: the staged tiles are bf16, [row][16 + 8]; one k16 step of four
// m16n8k16 products per depth tile.
// BF16-LABEL: gpu.func @project_matmul_0(
// BF16-DAG: memref.get_global @tile0 : memref<64x24xbf16, #gpu.address_space<workgroup>>
// BF16-DAG: memref.get_global @tile1 : memref<64x24xbf16, #gpu.address_space<workgroup>>
// BF16: scf.for
// BF16: %[[N:.*]] = arith.truncf %{{.*}} : f32 to bf16
// BF16: memref.store %[[N]], %{{.*}} : memref<64x24xbf16, #gpu.address_space<workgroup>>
// BF16: gpu.barrier
// BF16: vector.load %{{.*}} : memref<64x24xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// BF16-COUNT-4: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// BF16-NOT: nvvm.mma.sync
// BF16: scf.yield
//
// Emulated: the f32 kernel as host loops, its staged operands rounded to
// tf32 the same way, its products fused multiply-adds.
// EMU-LABEL: func.func @project(
// EMU-DAG: memref.alloca() : memref<16x65xf32>
// EMU-NOT: gpu.
// EMU: arith.addi %{{.*}}, %c4096_i32
// EMU: arith.andi %{{.*}}, %c-8192_i32
// EMU-NOT: nvvm
// EMU: math.fma
// EMU-NOT: nvvm
// EMU: return
#x = affine_map<(b, t, n, k) -> (b, t, k)>
#w = affine_map<(b, t, n, k) -> (n, k)>
#y = affine_map<(b, t, n, k) -> (b, t, n)>
func.func @project(%x: memref<?x?x256xf32>, %w: memref<128x256xf32>, %y: memref<?x?x128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x256xf32>, memref<128x256xf32>) outs(%y : memref<?x?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
