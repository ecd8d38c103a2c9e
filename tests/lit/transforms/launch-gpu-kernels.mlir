// RUN: frond-opt %s -split-input-file -verify-diagnostics -frond-launch-gpu-kernels -cse | FileCheck %s

// A call of a frond.gpu_kernel declaration becomes gpu.launch_func: the
// first three operands are the grid, the block is the kernel's
// known_block_size, the rest are its arguments; the declaration goes.
// CHECK-LABEL: func.func @host
// CHECK-SAME: (%[[N:.*]]: index, %[[BUF:.*]]: memref<?xf32>)
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch_func @k::@k blocks in (%[[N]], %c2, %c3) threads in (%[[C128]], %[[C1]], %[[C1]]) args(%[[BUF]] : memref<?xf32>)
// CHECK-NOT: call
// CHECK-NOT: @k_launch
module attributes {gpu.container_module} {
  func.func @host(%n: index, %buf: memref<?xf32>) {
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    call @k_launch(%n, %c2, %c3, %buf) : (index, index, index, memref<?xf32>) -> ()
    return
  }
  func.func private @k_launch(index, index, index, memref<?xf32>) attributes {frond.gpu_kernel = @k::@k}
  gpu.module @k {
    gpu.func @k(%arg0: memref<?xf32>) kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{frond.gpu_kernel must name a gpu.func with a known_block_size}}
  func.func private @k_launch(index, index, index) attributes {frond.gpu_kernel = @k::@k}
  gpu.module @k {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// -----

// A use other than a call (here the function as a value) has no launch.
module attributes {gpu.container_module} {
  func.func @host() {
    // expected-error @below {{a frond.gpu_kernel declaration is only called, with the grid sizes first}}
    %f = func.constant @k_launch : (index, index, index) -> ()
    return
  }
  func.func private @k_launch(index, index, index) attributes {frond.gpu_kernel = @k::@k}
  gpu.module @k {
    gpu.func @k() kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      gpu.return
    }
  }
}
