// RUN: frond-opt %s -split-input-file -verify-diagnostics -frond-host-buffers-to-gpu | FileCheck %s

// Host allocations become managed memory (gpu.alloc host_shared, dynamic
// sizes kept); a deallocation becomes gpu.dealloc on a stream of its own,
// waited for. Kernels (inside gpu.module) are not touched.
// CHECK-LABEL: func.func @host
// CHECK-SAME: (%[[N:.*]]: index)
// CHECK-NOT: memref.alloc(
// CHECK: %[[A:.*]] = gpu.alloc  host_shared (%[[N]]) : memref<?x4xf32>
// CHECK: %[[B:.*]] = gpu.alloc  host_shared () : memref<f32>
// CHECK: gpu.launch_func @k::@k blocks in ({{.*}}) threads in ({{.*}}) args(%[[A]] : memref<?x4xf32>)
// CHECK: %[[T:.*]] = gpu.wait async
// CHECK: %[[D:.*]] = gpu.dealloc async [%[[T]]] %[[A]] : memref<?x4xf32>
// CHECK: gpu.wait [%[[D]]]
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref.dealloc
// CHECK: return %[[B]]
// CHECK: gpu.func @k
// CHECK-NEXT: memref.alloca() : memref<4xf32>
module attributes {gpu.container_module} {
  func.func @host(%n: index) -> memref<f32> {
    %c1 = arith.constant 1 : index
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    %b = memref.alloc() : memref<f32>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x4xf32>)
    memref.dealloc %a : memref<?x4xf32>
    return %b : memref<f32>
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
