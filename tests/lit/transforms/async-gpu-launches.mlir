// RUN: frond-opt %s -split-input-file -frond-async-gpu-launches | FileCheck %s

// Launches, a device allocation and a free (each on a stream of its own, as
// frond-host-buffers-to-gpu leaves them) join one chain of tokens; a managed
// allocation, a view and memref.dim do not break it. The host waits before
// it loads from managed memory and before the return, and nowhere else.
// CHECK-LABEL: func.func @chain
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK-NEXT: %[[T1:.*]] = gpu.launch_func async [%[[T0]]] @k::@k
// CHECK-NEXT: %[[A:.*]], %[[T2:.*]] = gpu.alloc async [%[[T1]]] (%{{.*}}) : memref<?xf32>
// CHECK-NEXT: %[[B:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK-NEXT: memref.subview %[[B]]
// CHECK-NEXT: memref.dim %[[A]]
// CHECK-NEXT: %[[T3:.*]] = gpu.launch_func async [%[[T2]]] @k::@ka {{.*}} args(%[[A]] : memref<?xf32>)
// CHECK-NEXT: gpu.wait [%[[T3]]]
// CHECK-NEXT: memref.load %[[B]]
// CHECK-NEXT: %[[T4:.*]] = gpu.wait async
// CHECK-NEXT: %[[T5:.*]] = gpu.launch_func async [%[[T4]]] @k::@k
// CHECK-NEXT: %[[T6:.*]] = gpu.dealloc async [%[[T5]]] %[[A]] : memref<?xf32>
// CHECK-NEXT: gpu.wait [%[[T6]]]
// CHECK-NEXT: return
// CHECK-NOT: gpu.wait
module attributes {gpu.container_module} {
  func.func @chain(%n: index) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    %s0 = gpu.wait async
    %a, %s1 = gpu.alloc async [%s0] (%n) : memref<?xf32>
    gpu.wait [%s1]
    %b = gpu.alloc host_shared () : memref<4xf32>
    %v = memref.subview %b[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
    %d = memref.dim %a, %c0 : memref<?xf32>
    gpu.launch_func @k::@ka blocks in (%d, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?xf32>)
    %x = memref.load %b[%c0] : memref<4xf32>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    %s2 = gpu.wait async
    %s3 = gpu.dealloc async [%s2] %a : memref<?xf32>
    gpu.wait [%s3]
    return %x : f32
  }
  gpu.module @k {
    gpu.func @k() kernel {
      gpu.return
    }
    gpu.func @ka(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A loop (an op with a region) and a call wait for the work before them; the
// loop body's launches are a chain of their own, waited for before the yield.
// CHECK-LABEL: func.func @loop
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK-NEXT: %[[T1:.*]] = gpu.launch_func async [%[[T0]]] @k::@k
// CHECK-NEXT: gpu.wait [%[[T1]]]
// CHECK-NEXT: scf.for
// CHECK-NEXT: %[[U0:.*]] = gpu.wait async
// CHECK-NEXT: %[[U1:.*]] = gpu.launch_func async [%[[U0]]] @k::@k
// CHECK-NEXT: %[[U2:.*]] = gpu.launch_func async [%[[U1]]] @k::@k
// CHECK-NEXT: gpu.wait [%[[U2]]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[V0:.*]] = gpu.wait async
// CHECK-NEXT: %[[V1:.*]] = gpu.launch_func async [%[[V0]]] @k::@k
// CHECK-NEXT: gpu.wait [%[[V1]]]
// CHECK-NEXT: call @host_work()
// CHECK-NEXT: return
module attributes {gpu.container_module} {
  func.func private @host_work()
  func.func @loop(%n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    scf.for %i = %c0 to %n step %c1 {
      gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    }
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    func.call @host_work() : () -> ()
    return
  }
  gpu.module @k {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// -----

// Host code with no GPU work is left alone.
// CHECK-LABEL: func.func @host_only
// CHECK-NOT: gpu.wait
// CHECK: return
func.func @host_only(%m: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %x = memref.load %m[%c0] : memref<4xf32>
  return %x : f32
}
