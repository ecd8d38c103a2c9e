// RUN: frond-opt %s -frond-contractions-to-gpu -canonicalize -cse -split-input-file | FileCheck %s
// RUN: frond-opt %s -frond-contractions-to-gpu=emulate=true -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=EMU
// RUN: not frond-opt %s -frond-contractions-to-gpu=tile-m=24 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: tile-m and tile-n must be positive multiples of 16

// x [b, t, k] · Wᵀ (W [n, k]): M = b x t (two loops, flattened), N = n,
// K = k. The grid is (ceil(N / 64), ceil(b t / 64), 1) of 256 threads;
// A and B tiles live in workgroup memory, padded to 65 columns.
// CHECK-LABEL: func.func @project
// CHECK-SAME: (%[[X:.*]]: memref<?x?x256xf32>, %[[W:.*]]: memref<128x256xf32>, %[[Y:.*]]: memref<?x?x128xf32>)
// CHECK-DAG: %[[B:.*]] = memref.dim %[[X]], %c0
// CHECK-DAG: %[[T:.*]] = memref.dim %[[X]], %c1
// CHECK: %[[M:.*]] = arith.muli %[[B]], %[[T]]
// CHECK: %[[GY:.*]] = arith.ceildivui %[[M]], %c64
// CHECK: call @project_matmul_0_launch(%c2, %[[GY]], %c1, %[[X]], %[[W]], %[[Y]], %[[B]], %[[T]], %c128, %c256)
// CHECK-NOT: linalg.generic
// CHECK: gpu.module @frond_matmuls
// CHECK-DAG: memref.global "private" @tile0 : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @tile1 : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.func @project_matmul_0(%[[A0:.*]]: memref<?x?x256xf32>, %[[A1:.*]]: memref<128x256xf32>, %[[A2:.*]]: memref<?x?x128xf32>, %[[S0:.*]]: index, %[[S1:.*]]: index, %[[S2:.*]]: index, %[[S3:.*]]: index) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// The rows a thread stages are delinearized into (b, t) once, before the
// loop over depth tiles; k is the fastest index of both operands, so
// consecutive threads take consecutive depths (tid % 16).
// CHECK: %[[TID:.*]] = gpu.thread_id x
// CHECK: %[[KTILES:.*]] = arith.ceildivui %[[S3]], %c16
// CHECK: %[[KK:.*]] = arith.remui %[[TID]], %c16
// CHECK: %[[RR:.*]] = arith.divui %[[TID]], %c16
// CHECK: %[[ROW:.*]]:2 = affine.delinearize_index %{{.*}} into (%[[S0]], %[[S1]])
// CHECK: %[[ACC:.*]]:16 = scf.for %[[KT:.*]] = %c0 to %[[KTILES]] step %c1 iter_args(
// CHECK-NEXT: gpu.barrier
// CHECK: %[[K0:.*]] = arith.muli %[[KT]], %c16
// CHECK: %[[K:.*]] = arith.addi %[[K0]], %[[KK]]
// CHECK: %[[V:.*]] = scf.if %{{.*}} -> (f32) {
// CHECK-NEXT: %[[L:.*]] = memref.load %[[A0]][%[[ROW]]#0, %[[ROW]]#1, %[[K]]]
// CHECK-NEXT: scf.yield %[[L]]
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.yield %cst
// CHECK: memref.store %[[V]], %{{.*}}[%[[KK]], %[[RR]]] : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK: memref.load %[[A1]][%{{.*}}, %[[K]]] : memref<128x256xf32>
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args(
// CHECK-COUNT-8: memref.load {{.*}} : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-16: math.fma
// The outputs inside M and N accumulate into C.
// CHECK: scf.if
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[A2]]
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]], %[[ACC]]#0
// CHECK-NEXT: memref.store %[[NEW]], %[[A2]]
// The emulation: host loops over blocks (x inside y inside z), every
// thread staging then multiplying in turn, accumulators in a buffer per
// thread; no GPU op.
// EMU-LABEL: func.func @project
// EMU-DAG: memref.alloca() : memref<16x65xf32>
// EMU-DAG: memref.alloca() : memref<256x16xf32>
// EMU-NOT: gpu.
// EMU: math.fma
// EMU-NOT: gpu.
// EMU: return
#a = affine_map<(b, t, n, k) -> (b, t, k)>
#w = affine_map<(b, t, n, k) -> (n, k)>
#c = affine_map<(b, t, n, k) -> (b, t, n)>
func.func @project(%x: memref<?x?x256xf32>, %w: memref<128x256xf32>, %y: memref<?x?x128xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x256xf32>, memref<128x256xf32>) outs(%y : memref<?x?x128xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %0 = arith.mulf %in, %in1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Per-head scores q [b, h, i, d] · k [b, h, j, d]: batch = b x h (the
// grid's z, delinearized in the kernel), M = i, N = j, K = d.
// CHECK-LABEL: func.func @scores
// CHECK: %[[BH:.*]] = arith.muli
// CHECK: call @scores_matmul_0_launch(%{{.*}}, %{{.*}}, %[[BH]],
// CHECK: gpu.module @frond_matmuls
// CHECK: gpu.func @scores_matmul_0
// CHECK: %[[Z:.*]] = gpu.block_id z
// CHECK: affine.delinearize_index %[[Z]] into
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
func.func @scores(%q: memref<?x4x?x32xf32>, %k: memref<?x4x?x32xf32>, %s: memref<?x4x?x?xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<?x4x?x32xf32>, memref<?x4x?x32xf32>) outs(%s : memref<?x4x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Contractions of the same maps and operand types share a kernel (and its
// launch declaration); another map gets one of its own, in the same module
// and with the same workgroup tiles.
// CHECK-LABEL: func.func @twice
// CHECK: call @twice_matmul_0_launch(
// CHECK: call @twice_matmul_0_launch(
// CHECK: call @twice_matmul_1_launch(
// CHECK: gpu.module @frond_matmuls
// CHECK-COUNT-2: memref.global
// CHECK-NOT: memref.global
// CHECK: gpu.func @twice_matmul_0(
// CHECK: gpu.func @twice_matmul_1(
// CHECK-NOT: gpu.module
#mk2 = affine_map<(m, n, k) -> (m, k)>
#kn2 = affine_map<(m, n, k) -> (k, n)>
#nk2 = affine_map<(m, n, k) -> (n, k)>
#mn2 = affine_map<(m, n, k) -> (m, n)>
func.func @twice(%a: memref<?x32xf32>, %b: memref<32x32xf32>, %c: memref<?x32xf32>, %d: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#mk2, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x32xf32>, memref<32x32xf32>) outs(%c : memref<?x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#mk2, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%c, %b : memref<?x32xf32>, memref<32x32xf32>) outs(%d : memref<?x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#mk2, #nk2, #mn2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d, %b : memref<?x32xf32>, memref<32x32xf32>) outs(%c : memref<?x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Left as they are: a sum of products into a vector (no M loop: the
// scale gradient of a norm), f64, and a contraction already in a kernel.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: call
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: gpu.module
#x3 = affine_map<(b, t, c) -> (b, t, c)>
#c3 = affine_map<(b, t, c) -> (c)>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @left_alone(%dy: memref<?x?x64xf32>, %x: memref<?x?x64xf32>, %g: memref<64xf32>,
                      %a: memref<8x8xf64>, %b: memref<8x8xf64>, %c: memref<8x8xf64>,
                      %a32: memref<8x8xf32>, %b32: memref<8x8xf32>, %c32: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [#x3, #x3, #c3], iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%dy, %x : memref<?x?x64xf32>, memref<?x?x64xf32>) outs(%g : memref<64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x8xf64>, memref<8x8xf64>) outs(%c : memref<8x8xf64>) {
  ^bb0(%p: f64, %q: f64, %o: f64):
    %0 = arith.mulf %p, %q : f64
    %1 = arith.addf %o, %0 : f64
    linalg.yield %1 : f64
  }
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a32, %b32 : memref<8x8xf32>, memref<8x8xf32>) outs(%c32 : memref<8x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %0 = arith.mulf %p, %q : f32
      %1 = arith.addf %o, %0 : f32
      linalg.yield %1 : f32
    }
    scf.reduce
  }
  return
}

// -----

// Split-K: a weight gradient dW [64, 32] = sum over b, t of dY[b, t, n] x
// X[b, t, k] has one output tile (M, N static) and a K of b x t tokens.
// S = ceil(K tiles / 8), at most 16, blocks (1, 1, S); block z takes split
// z % S: its share of the depth tiles, its partial sums stored to a
// workspace [S, 1, 64, 32]. A second kernel (one thread per output) adds
// the S partial sums to C in split order; the workspace is freed after.
// CHECK-LABEL: func.func @weight_grad
// CHECK: %[[KT:.*]] = arith.ceildivui %{{.*}}, %c16
// CHECK: %[[BY8:.*]] = arith.ceildivui %[[KT]], %c8
// CHECK: %[[MIN:.*]] = arith.minui %[[BY8]], %c16
// CHECK: %[[S:.*]] = arith.maxui %[[MIN]], %c1
// CHECK: %[[ALLOC:.*]] = memref.alloc(%[[S]]) : memref<?x1x64x32xf32>
// CHECK: %[[WS:.*]] = memref.cast %[[ALLOC]]
// CHECK: call @weight_grad_matmul_0_launch(%c1, %c1, %[[S]], %[[DY:.*]], %[[X:.*]], %[[DW:.*]], %c64, %c32, %{{.*}}, %{{.*}}, %[[WS]], %[[S]])
// CHECK: call @weight_grad_splitk_sum_{{[0-9]+}}_launch(%c8, %c1, %c1, %[[DW]], %[[WS]], %[[S]], %c64, %c32,
// CHECK: memref.dealloc %[[ALLOC]]
// CHECK: gpu.func @weight_grad_matmul_0(
// CHECK-SAME: %[[KWS:arg[0-9]+]]: memref<?x?x?x?xf32>, %[[KS:arg[0-9]+]]: index) kernel
// CHECK: %[[Z:.*]] = gpu.block_id z
// CHECK-DAG: %[[SPLIT:.*]] = arith.remui %[[Z]], %[[KS]]
// CHECK-DAG: %[[SHARE:.*]] = arith.ceildivui %{{.*}}, %[[KS]]
// CHECK: scf.for %{{.*}} = %[[FIRST:.*]] to %[[END:.*]] step %c1 iter_args(
// CHECK: memref.store %{{.*}}, %[[KWS]][%[[SPLIT]], %{{.*}}, %{{.*}}, %{{.*}}] : memref<?x?x?x?xf32>
// CHECK-NOT: memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<64x32xf32>
// CHECK: gpu.func @weight_grad_splitk_sum_{{[0-9]+}}(
// CHECK: %[[OLD:.*]] = memref.load %{{.*}} : memref<64x32xf32>
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %[[OLD]]) -> (f32) {
// CHECK: memref.load %{{.*}} : memref<?x?x?x?xf32>
// CHECK: arith.addf %[[ACC]]
// CHECK: memref.store %[[SUM]], %{{.*}} : memref<64x32xf32>
// EMU-LABEL: func.func @weight_grad
// EMU-NOT: gpu.
// EMU: memref.alloc(%{{.*}}) : memref<?x1x64x32xf32>
// EMU-NOT: gpu.
// EMU: memref.dealloc
#dy = affine_map<(n, k, b, t) -> (b, t, n)>
#xs = affine_map<(n, k, b, t) -> (b, t, k)>
#dw = affine_map<(n, k, b, t) -> (n, k)>
func.func @weight_grad(%dy: memref<?x?x64xf32>, %x: memref<?x?x32xf32>, %dw: memref<64x32xf32>) {
  linalg.generic {indexing_maps = [#dy, #xs, #dw], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%dy, %x : memref<?x?x64xf32>, memref<?x?x32xf32>) outs(%dw : memref<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %o, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
