// RUN: frond-opt %s -frond-split-reductions=partials=64 -split-input-file | FileCheck %s
// RUN: not frond-opt %s -frond-split-reductions=partials=0 -split-input-file 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: partials must be at least 1, found 0

// A masked loss summed over batch and time: 64 threads each fold the body
// over the flat indices p, p + 64, ... (delinearized into the two loops,
// linalg.index replaced by them) from 0.0; one thread then adds the 64
// partial sums to the output's value.
// CHECK-LABEL: func.func @masked_loss
// CHECK-SAME: (%[[IDS:.*]]: memref<?x?xi64>, %[[X:.*]]: memref<?x?xf32>, %[[OUT:.*]]: memref<f32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[B:.*]] = memref.dim %[[IDS]], %[[C0]]
// CHECK-DAG: %[[T:.*]] = memref.dim %[[IDS]], %[[C1]]
// CHECK: %[[N0:.*]] = arith.muli %[[C1]], %[[B]]
// CHECK: %[[N:.*]] = arith.muli %[[N0]], %[[T]]
// CHECK: %[[PART:.*]] = memref.alloc() : memref<64xf32>
// CHECK: scf.parallel (%[[P:.*]]) = (%[[C0]]) to (%[[C64]]) step (%[[C1]])
// CHECK:   %[[NEUTRAL:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[SUM:.*]] = scf.for %[[I:.*]] = %[[P]] to %[[N]] step %[[C64]] iter_args(%[[ACC:.*]] = %[[NEUTRAL]]) -> (f32)
// CHECK:     %[[IVS:.*]]:2 = affine.delinearize_index %[[I]] into (%[[B]], %[[T]])
// CHECK:     memref.load %[[IDS]][%{{.*}}, %{{.*}}]
// CHECK:     memref.load %[[X]][%{{.*}}, %{{.*}}]
// CHECK:     arith.index_cast %[[IVS]]#1
// CHECK:     %[[NEXT:.*]] = arith.addf %[[ACC]], %{{.*}} : f32
// CHECK:     scf.yield %[[NEXT]]
// CHECK:   memref.store %[[SUM]], %[[PART]][%[[P]]]
// CHECK: scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[C1]]) step (%[[C1]])
// CHECK:   %[[INIT:.*]] = memref.load %[[OUT]][]
// CHECK:   %[[TOTAL:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%[[A:.*]] = %[[INIT]]) -> (f32)
// CHECK:     %[[V:.*]] = memref.load %[[PART]][%[[J]]]
// CHECK:     %[[S:.*]] = arith.addf %[[A]], %[[V]] : f32
// CHECK:     scf.yield %[[S]]
// CHECK:   memref.store %[[TOTAL]], %[[OUT]][]
// CHECK: memref.dealloc %[[PART]]
// CHECK-NOT: linalg.generic
#id = affine_map<(b, t) -> (b, t)>
#scalar = affine_map<(b, t) -> ()>
func.func @masked_loss(%ids: memref<?x?xi64>, %x: memref<?x?xf32>, %out: memref<f32>) {
  %ignore = arith.constant -100 : i64
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id, #scalar], iterator_types = ["reduction", "reduction"]}
      ins(%ids, %x : memref<?x?xi64>, memref<?x?xf32>) outs(%out : memref<f32>) {
  ^bb0(%id: i64, %v: f32, %acc: f32):
    %t = linalg.index 1 : index
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %keep = arith.cmpi ne, %id, %ignore : i64
    %w = arith.mulf %v, %tf : f32
    %m = arith.select %keep, %w, %zero : f32
    %y = arith.addf %acc, %m : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Two outputs (a maximum and a product), each with its own neutral
// element and combiner; the output's block argument may be either operand.
// CHECK-LABEL: func.func @max_and_product
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: scf.for {{.*}} iter_args(%[[M:.*]] = %[[NEGINF]], %[[P:.*]] = %[[ONE]]) -> (f32, f32)
// CHECK:   arith.maximumf %[[M]], %{{.*}} : f32
// CHECK:   arith.mulf %{{.*}}, %[[P]] : f32
// CHECK: scf.parallel
// CHECK:   %[[M0:.*]] = memref.load %arg1[]
// CHECK:   %[[P0:.*]] = memref.load %arg2[]
// CHECK:   scf.for {{.*}} iter_args(%[[MA:.*]] = %[[M0]], %[[PA:.*]] = %[[P0]])
// CHECK:     arith.maximumf %[[MA]], %{{.*}} : f32
// CHECK:     arith.mulf %{{.*}}, %[[PA]] : f32
#v = affine_map<(i) -> (i)>
#s = affine_map<(i) -> ()>
func.func @max_and_product(%x: memref<1000xf32>, %max: memref<f32>, %prod: memref<f32>) {
  linalg.generic {indexing_maps = [#v, #s, #s], iterator_types = ["reduction"]}
      ins(%x : memref<1000xf32>) outs(%max, %prod : memref<f32>, memref<f32>) {
  ^bb0(%a: f32, %m: f32, %p: f32):
    %m2 = arith.maximumf %m, %a : f32
    %p2 = arith.mulf %a, %p : f32
    linalg.yield %m2, %p2 : f32, f32
  }
  return
}

// -----

// Left alone: a combiner of two ops (compare and select), and a reduction
// into outputs over only 8 reduced elements (a thread per output suffices).
// CHECK-LABEL: func.func @not_split
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: scf.parallel
#v2 = affine_map<(i) -> (i)>
#s2 = affine_map<(i) -> ()>
#rows = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @not_split(%x: memref<8xf32>, %out: memref<f32>, %m: memref<4x8xf32>, %r: memref<4xf32>) {
  linalg.generic {indexing_maps = [#v2, #s2], iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%out : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %gt = arith.cmpf ogt, %a, %acc : f32
    %y = arith.select %gt, %a, %acc : f32
    linalg.yield %y : f32
  }
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%m : memref<4x8xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %y = arith.addf %acc, %a : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A bias gradient: dout [b, t, 256] summed over batch and time (parallel
// loop first, as frond-reductions-innermost leaves it). As it was, one
// block of 256 threads each walked all b x t rows; split, 65536 / 256 = 256
// chunks, capped at partials (64 here), x 256 columns fold every 64th row
// into partial[c, d] (the column innermost: consecutive threads read
// consecutive elements), then 256 threads add their 64 partials to the
// output.
// CHECK-LABEL: func.func @column_sum
// CHECK-SAME: (%[[X:.*]]: memref<?x?x256xf32>, %[[OUT:.*]]: memref<256xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[PART:.*]] = memref.alloc() : memref<64x256xf32>
// CHECK: scf.parallel (%[[C:.*]], %[[D:.*]]) = (%[[C0]], %[[C0]]) to (%[[C64]], %[[N:.*]]) step
// CHECK:   scf.for %[[I:.*]] = %[[C]] to %{{.*}} step %[[C64]] iter_args
// CHECK:     %[[BT:.*]]:2 = affine.delinearize_index %[[I]] into
// CHECK:     memref.load %[[X]][%{{.*}}, %{{.*}}, %{{.*}}]
// CHECK:   memref.store %{{.*}}, %[[PART]][%[[C]], %[[D]]]
// CHECK: scf.parallel (%[[E:.*]]) = (%[[C0]]) to (%[[N]]) step (%[[C1]])
// CHECK:   %[[INIT:.*]] = memref.load %[[OUT]][%[[E]]]
// CHECK:   scf.for %[[J:.*]] = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%{{.*}} = %[[INIT]])
// CHECK:     memref.load %[[PART]][%[[J]], %[[E]]]
// CHECK:   memref.store %{{.*}}, %[[OUT]][%[[E]]]
// CHECK: memref.dealloc %[[PART]]
// CHECK-NOT: linalg.generic
#in = affine_map<(d, b, t) -> (b, t, d)>
#col = affine_map<(d, b, t) -> (d)>
func.func @column_sum(%x: memref<?x?x256xf32>, %out: memref<256xf32>) {
  linalg.generic {indexing_maps = [#in, #col], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<?x?x256xf32>) outs(%out : memref<256xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %y = arith.addf %acc, %a : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Left alone: outputs of dynamic extent (rows of a layer norm: plenty of
// threads already), more outputs than max-outputs, and outputs indexed by
// the parallel loops out of order.
// CHECK-LABEL: func.func @columns_not_split
// CHECK-NOT: scf.parallel
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: scf.parallel
#r3 = affine_map<(i, j) -> (i, j)>
#r1 = affine_map<(i, j) -> (i)>
#big = affine_map<(i, j, k) -> (k, i, j)>
#bigout = affine_map<(i, j, k) -> (i, j)>
#swapped = affine_map<(i, j, k) -> (j, i)>
func.func @columns_not_split(%x: memref<?x256xf32>, %rows: memref<?xf32>, %y: memref<?x64x128xf32>, %wide: memref<64x128xf32>, %z: memref<?x16x8xf32>, %t: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [#r3, #r1], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x256xf32>) outs(%rows : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#big, #bigout], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%y : memref<?x64x128xf32>) outs(%wide : memref<64x128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#big, #swapped], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%z : memref<?x16x8xf32>) outs(%t : memref<8x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}
