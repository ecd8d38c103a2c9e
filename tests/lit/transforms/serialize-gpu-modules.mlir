// RUN: sed '/^\/\/ -----/,$d' %s > %t.mlir
// RUN: frond-opt %t.mlir -frond-serialize-gpu-modules > %t.threads
// RUN: FileCheck %s < %t.threads
// RUN: frond-opt %t.mlir -frond-serialize-gpu-modules --mlir-disable-threading > %t.serial
// The PTX does not depend on the threads (only the timing property differs).
// RUN: sed 's/LLVMIRToISATimeInMs = [0-9]*/T/' %t.threads > %t.a
// RUN: sed 's/LLVMIRToISATimeInMs = [0-9]*/T/' %t.serial > %t.b
// RUN: diff %t.a %t.b
// RUN: not frond-opt %s -frond-serialize-gpu-modules --split-input-file 2>&1 | FileCheck %s --check-prefix=ERR

// Each gpu.module becomes a gpu.binary of the same name, in order, holding
// its kernels' PTX for its target; the host launches are untouched.
// CHECK-LABEL: func.func @f
// CHECK: gpu.launch_func @first::@add
// CHECK: gpu.launch_func @second::@scale
// CHECK: gpu.binary @first [#gpu.object<#nvvm.target<chip = "sm_80">
// CHECK-SAME: .visible .entry add(
// CHECK-NOT: .entry scale
// CHECK: gpu.binary @second [#gpu.object<#nvvm.target<chip = "sm_90">
// CHECK-SAME: .target sm_90
// CHECK-SAME: .visible .entry scale(
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @f(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first::@add blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @second::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @first [#nvvm.target<chip = "sm_80">] {
    llvm.func @add(%p: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
      %x = llvm.load %p : !llvm.ptr -> f32
      %y = llvm.fadd %x, %x : f32
      llvm.store %y, %p : f32, !llvm.ptr
      llvm.return
    }
  }
  gpu.module @second [#nvvm.target<chip = "sm_90">] {
    llvm.func @scale(%p: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
      %x = llvm.load %p : !llvm.ptr -> f32
      %y = llvm.fmul %x, %x : f32
      llvm.store %y, %p : f32, !llvm.ptr
      llvm.return
    }
  }
}

// -----

// ERR: error: frond-serialize-gpu-modules: the module has no target attribute; run gpu-nvvm-attach-target first
module attributes {gpu.container_module} {
  gpu.module @bare {
  }
}
