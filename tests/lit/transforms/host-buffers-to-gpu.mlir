// RUN: frond-opt %s -split-input-file -verify-diagnostics -frond-host-buffers-to-gpu | FileCheck %s

// A buffer only kernels use becomes device memory (gpu.alloc on a stream of
// its own, waited for, dynamic sizes kept); one the host touches (here:
// returned, and a view of one loaded on the host) becomes managed memory
// (gpu.alloc host_shared). A deallocation becomes gpu.dealloc on a stream
// of its own. Kernels (inside gpu.module) are not touched.
// CHECK-LABEL: func.func @host
// CHECK-SAME: (%[[N:.*]]: index)
// CHECK-NOT: memref.alloc(
// CHECK: %[[TA:.*]] = gpu.wait async
// CHECK: %[[A:.*]], %[[TA2:.*]] = gpu.alloc async [%[[TA]]] (%[[N]]) : memref<?x4xf32>
// CHECK: gpu.wait [%[[TA2]]]
// CHECK: %[[B:.*]] = gpu.alloc  host_shared () : memref<f32>
// CHECK: %[[C:.*]] = gpu.alloc  host_shared () : memref<2x4xf32>
// CHECK: gpu.launch_func @k::@k blocks in ({{.*}}) threads in ({{.*}}) args(%[[A]] : memref<?x4xf32>)
// CHECK: memref.collapse_shape %[[C]]
// CHECK: memref.load
// CHECK: %[[T:.*]] = gpu.wait async
// CHECK: %[[D:.*]] = gpu.dealloc async [%[[T]]] %[[A]] : memref<?x4xf32>
// CHECK: gpu.wait [%[[D]]]
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref.dealloc
// CHECK: return %[[B]]
// CHECK: gpu.func @k
// CHECK-NEXT: memref.alloca() : memref<4xf32>
module attributes {gpu.container_module} {
  func.func @host(%n: index) -> (memref<f32>, f32) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    %b = memref.alloc() : memref<f32>
    %c = memref.alloc() : memref<2x4xf32>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x4xf32>)
    %flat = memref.collapse_shape %c [[0, 1]] : memref<2x4xf32> into memref<8xf32>
    %x = memref.load %flat[%c0] : memref<8xf32>
    %d = memref.dim %a, %c0 : memref<?x4xf32>
    memref.dealloc %a : memref<?x4xf32>
    memref.dealloc %c : memref<2x4xf32>
    return %b, %x : memref<f32>, f32
  }
  gpu.module @k {
    gpu.func @k(%x: memref<?x4xf32>) kernel {
      %t = memref.alloca() : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A stack buffer passed to a kernel (through a view) is host memory the GPU
// cannot read.
module attributes {gpu.container_module} {
  func.func @stack() {
    %c1 = arith.constant 1 : index
    %a = memref.alloca() : memref<8xf32>
    %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    // expected-error @+1 {{a kernel argument is host memory (memref.alloca), which the GPU cannot read; allocate it with memref.alloc}}
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v : memref<4xf32, strided<[1]>>)
    return
  }
  gpu.module @k {
    gpu.func @k(%x: memref<4xf32, strided<[1]>>) kernel {
      gpu.return
    }
  }
}
