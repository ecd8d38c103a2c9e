// RUN: frond-opt %s -pass-pipeline='builtin.module(gpu.module(frond-nvvm-approx-math))' | FileCheck %s

// f32 exp2/log2 marked afn become PTX approximations; others are kept (and
// go to libdevice later).
// CHECK-LABEL: gpu.func @k
// CHECK: nvvm.inline_ptx "ex2.approx.ftz.f32 $0, $1;" ro(%arg0 : f32) -> f32
// CHECK: nvvm.inline_ptx "lg2.approx.ftz.f32 $0, $1;" ro(%arg0 : f32) -> f32
// CHECK: math.exp2 %arg0 : f32
// CHECK: math.exp2 %arg1 fastmath<afn> : f64
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%x: f32, %y: f64) {
      %a = math.exp2 %x fastmath<afn> : f32
      %b = math.log2 %x fastmath<afn> : f32
      %c = math.exp2 %x : f32
      %d = math.exp2 %y fastmath<afn> : f64
      gpu.return
    }
  }
}
