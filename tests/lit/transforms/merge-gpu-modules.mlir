// RUN: frond-opt %s -frond-merge-gpu-modules | FileCheck %s
// RUN: frond-opt %s -frond-merge-gpu-modules=kernels-per-module=1 | FileCheck %s --check-prefix=SPLIT
// RUN: not frond-opt %s -frond-merge-gpu-modules=kernels-per-module=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: frond-merge-gpu-modules: kernels-per-module must be at least 1, found 0

// Two kernels alone in their modules move into @frond_kernels under their
// old module names, and their launches follow; the attention kernel, which
// has a workgroup tile, keeps its module.
// A kernel the same as one already kept (@f_kernel_1, @f_kernel_0's text
// under another name) is dropped and its launch takes the kept one;
// @f_kernel_2 differs in a constant and stays. So is a module of a kernel
// and its tiles the same as another (@f_attention_1), which is not merged.
// CHECK-LABEL: func.func @f
// CHECK: gpu.launch_func @frond_kernels::@f_kernel blocks
// CHECK: gpu.launch_func @frond_kernels::@f_kernel_0 blocks
// CHECK: gpu.launch_func @f_attention_0::@f_attention_0 blocks
// CHECK: gpu.launch_func @frond_kernels::@f_kernel_0 blocks
// CHECK: gpu.launch_func @frond_kernels::@f_kernel_2 blocks
// CHECK: gpu.launch_func @f_attention_0::@f_attention_0 blocks
// CHECK: gpu.module @frond_kernels
// CHECK-NEXT: gpu.func @f_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @f_kernel_0(%{{.*}}: memref<4xf32>) kernel
// CHECK-NOT: gpu.func @f_kernel_1
// CHECK: gpu.func @f_kernel_2(%{{.*}}: memref<4xf32>) kernel
// CHECK-NOT: gpu.module @f_kernel
// CHECK: gpu.module @f_attention_0
// CHECK-NEXT: memref.global "private" @tile0
// CHECK-NOT: gpu.module @f_kernel
// CHECK-NOT: gpu.module @f_attention_1

// At most one kernel per merged module: two modules, the second named
// apart, each launch pointing at its own.
// SPLIT-LABEL: func.func @f
// SPLIT: gpu.launch_func @frond_kernels::@f_kernel blocks
// SPLIT: gpu.launch_func @frond_kernels_0::@f_kernel_0 blocks
// SPLIT: gpu.module @frond_kernels
// SPLIT-NEXT: gpu.func @f_kernel(
// SPLIT: gpu.module @frond_kernels_0
// SPLIT-NEXT: gpu.func @f_kernel_0(
// SPLIT: gpu.module @frond_kernels_1
// SPLIT-NEXT: gpu.func @f_kernel_2(
module attributes {gpu.container_module} {
  func.func @f(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_attention_0::@f_attention_0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_kernel_1::@f_kernel_1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_kernel_2::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @f_attention_1::@f_attention_1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %x = memref.load %a[%c0] : memref<4xf32>
      memref.store %x, %a[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_1 {
    gpu.func @f_kernel_1(%b: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %y = memref.load %b[%c0] : memref<4xf32>
      memref.store %y, %b[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_2 {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      %c1 = arith.constant 1 : index
      %x = memref.load %a[%c1] : memref<4xf32>
      memref.store %x, %a[%c1] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_attention_0 {
    memref.global "private" @tile0 : memref<64x16xf32, #gpu.address_space<workgroup>>
    gpu.func @f_attention_0(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_attention_1 {
    memref.global "private" @tile0 : memref<64x16xf32, #gpu.address_space<workgroup>>
    gpu.func @f_attention_1(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
