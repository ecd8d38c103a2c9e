// RUN: frond-opt %s -split-input-file -frond-compute-in-destination | FileCheck %s

// A bufferized optimizer update: one generic computes p, m and v into fresh
// buffers (m's reused later for another result, which overwrites it), each
// then copied into its argument. The generic writes the arguments instead,
// reading each element of them before writing it, and no copy is left.
// CHECK-LABEL: func.func @update
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1, %arg2, %arg3 : {{.*}}) outs(%arg0, %arg1, %arg2 : memref<16xf32>, memref<16xf32>, memref<16xf32>)
// CHECK-NOT: memref.copy
// CHECK: linalg.fill
#id = affine_map<(d0) -> (d0)>
func.func @update(%p: memref<16xf32>, %m: memref<16xf32>, %v: memref<16xf32>, %g: memref<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id, #id], iterator_types = ["parallel"]} ins(%p, %m, %v, %g : memref<16xf32>, memref<16xf32>, memref<16xf32>, memref<16xf32>) outs(%a, %b, %c : memref<16xf32>, memref<16xf32>, memref<16xf32>) {
  ^bb0(%pi: f32, %mi: f32, %vi: f32, %gi: f32, %o0: f32, %o1: f32, %o2: f32):
    %mn = arith.addf %mi, %gi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vn = arith.addf %vi, %g2 : f32
    %d = arith.divf %mn, %vn : f32
    %pn = arith.subf %pi, %d : f32
    linalg.yield %pn, %mn, %vn : f32, f32, f32
  }
  memref.copy %a, %p : memref<16xf32> to memref<16xf32>
  memref.copy %b, %m : memref<16xf32> to memref<16xf32>
  memref.copy %c, %v : memref<16xf32> to memref<16xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<16xf32>)
  return
}

// -----

// Left as they are: a source read after its copy; an argument read through
// a transpose (an element would be written before it is read); an argument
// read between the generic and the copy.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: memref.copy
#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @kept(%p: memref<16xf32>, %q: memref<4x4xf32>, %r: memref<16xf32>, %s: memref<16xf32>, %out: memref<16xf32>, %view: memref<16xf32>) {
  %a = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : memref<16xf32>) outs(%a : memref<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %x : f32
    linalg.yield %y : f32
  }
  memref.copy %a, %p : memref<16xf32> to memref<16xf32>
  memref.copy %a, %out : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]} ins(%q : memref<4x4xf32>) outs(%b : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  memref.copy %b, %q : memref<4x4xf32> to memref<4x4xf32>
  %c = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%view : memref<16xf32>) outs(%c : memref<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  }
  memref.copy %r, %out : memref<16xf32> to memref<16xf32>
  memref.copy %c, %r : memref<16xf32> to memref<16xf32>
  return
}
