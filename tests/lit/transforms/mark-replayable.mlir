// RUN: frond-opt %s -frond-mark-replayable | FileCheck %s

module attributes {gpu.container_module} {

// Host code that only queues GPU work, allocates and frees, takes views
// and computes with shapes is replayable (a CUDA graph of one call replays
// the next), loops over such code included.
// CHECK-LABEL: func.func @launches_only
// CHECK-SAME: attributes {frond.replayable}
func.func @launches_only(%a: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?x4xf32>
  %b = gpu.alloc (%n) : memref<?x4xf32>
  %t = gpu.alloc host_shared (%n) : memref<?x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    gpu.launch_func @k::@add blocks in (%c1, %c1, %c1) threads in (%n, %c1, %c1) args(%a : memref<?x4xf32>, %b : memref<?x4xf32>)
  }
  %v = memref.subview %b[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  gpu.dealloc %t : memref<?x4xf32>
  return %b : memref<?x4xf32>
}

// A load on the host reads a value the graph would not read again (and,
// while recording, one no kernel has written yet): not replayable, and
// the attribute names the op and its location.
// CHECK-LABEL: func.func @reads_a_position
// CHECK-SAME: frond.not_replayable = "memref.load at spec.frond:7:3"
// CHECK-NOT: frond.replayable
func.func @reads_a_position(%pos: memref<?xi64>, %a: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p = memref.load %pos[%c0] : memref<?xi64> loc("spec.frond":7:3)
  %i = arith.index_cast %p : i64 to index
  gpu.launch_func @k::@add blocks in (%i, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x4xf32>, %a : memref<?x4xf32>)
  return
}

// A copy on the host and a call are host work too.
// CHECK-LABEL: func.func @copies_on_the_host
// CHECK-SAME: frond.not_replayable = "memref.copy at {{.*}}mark-replayable.mlir:{{[0-9]+}}:3"
func.func @copies_on_the_host(%a: memref<4xf32>, %b: memref<4xf32>) {
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return
}
// CHECK-LABEL: func.func @calls
// CHECK-SAME: frond.not_replayable = "func.call
func.func private @helper()
func.func @calls() {
  func.call @helper() : () -> ()
  return
}

gpu.module @k {
  gpu.func @add(%a: memref<?x4xf32>, %b: memref<?x4xf32>) kernel {
    gpu.return
  }
}

}
