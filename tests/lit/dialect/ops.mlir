// RUN: frond-opt %s | frond-opt | FileCheck %s
// RUN: frond-opt %s --mlir-print-op-generic | frond-opt | FileCheck %s

// Round trip of every frond op, in its custom and its generic form.

// CHECK-LABEL: func.func @layers
func.func @layers(%ids: tensor<?x?xi64>, %table: tensor<97x64xf32>,
                  %w: tensor<128x64xf32>, %b: tensor<128xf32>,
                  %w1: tensor<16x64xf32>, %w2: tensor<192x16xf32>,
                  %g: tensor<64xf32>, %beta: tensor<64xf32>) -> tensor<?x?x64xf32> {
  // CHECK: frond.embedding %{{.*}}, %{{.*}} : (tensor<?x?xi64>, tensor<97x64xf32>) -> tensor<?x?x64xf32>
  %e = frond.embedding %ids, %table : (tensor<?x?xi64>, tensor<97x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %l = frond.linear %e, %w, %b : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  // CHECK: frond.linear %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  %l2 = frond.linear %e, %w : (tensor<?x?x64xf32>, tensor<128x64xf32>) -> tensor<?x?x128xf32>
  // CHECK: frond.lowrank_linear relu2 %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<16x64xf32>, tensor<192x16xf32>) -> tensor<?x?x192xf32>
  %lr = frond.lowrank_linear relu2 %e, %w1, %w2 : (tensor<?x?x64xf32>, tensor<16x64xf32>, tensor<192x16xf32>) -> tensor<?x?x192xf32>
  // CHECK: frond.lowrank_linear none
  %lr2 = frond.lowrank_linear none %e, %w1, %w2 : (tensor<?x?x64xf32>, tensor<16x64xf32>, tensor<192x16xf32>) -> tensor<?x?x192xf32>
  // CHECK: frond.rms_norm %{{.*}} weight %{{.*}} eps = 9.9999999999999995E-7 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %n1 = frond.rms_norm %e weight %g eps = 1.0e-6 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.rms_norm %{{.*}} eps = 1.1920928955078125E-7 : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %n2 = frond.rms_norm %n1 eps = 1.1920928955078125E-7 : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.layer_norm %{{.*}} weight %{{.*}} bias %{{.*}} eps = 9.9999999999999995E-7 : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %n3 = frond.layer_norm %n2 weight %g bias %beta eps = 1.0e-6 : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.layer_norm %{{.*}} bias %{{.*}} eps = 1.000000e-05 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %n4 = frond.layer_norm %n3 bias %beta eps = 1.0e-5 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.layer_norm %{{.*}} eps = 1.000000e-05 : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %n5 = frond.layer_norm %n4 eps = 1.0e-5 : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %n5 : tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @rope_and_heads
func.func @rope_and_heads(%x: tensor<?x?x64xf32>, %pos: tensor<?x?xi64>) -> tensor<?x?x64xf32> {
  // CHECK: frond.split_heads %{{.*}} heads = 4 : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %h = frond.split_heads %x heads = 4 : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  // CHECK: frond.rope half %{{.*}}, %{{.*}} theta = 1.000000e+04 scale = 1.000000e+00 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  %r1 = frond.rope half %h, %pos theta = 10000.0 scale = 1.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  // CHECK: frond.rope interleaved %{{.*}}, %{{.*}} theta = 1.000000e+04 scale = 2.000000e+00
  %r2 = frond.rope interleaved %r1, %pos theta = 10000.0 scale = 2.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  // CHECK: frond.rope truncated %{{.*}}, %{{.*}} theta = 1.024000e+03 scale = 1.000000e+00
  %r3 = frond.rope truncated %r2, %pos theta = 1024.0 scale = 1.0 : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  // CHECK: frond.transpose %{{.*}} permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %t = frond.transpose %r3 permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  // CHECK: frond.transpose %{{.*}} permutation = [0, 2, 1, 3] : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  %t2 = frond.transpose %t permutation = [0, 2, 1, 3] : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  // CHECK: frond.merge_heads %{{.*}} : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
  %m = frond.merge_heads %t2 : tensor<?x?x4x16xf32> -> tensor<?x?x64xf32>
  return %m : tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%w: tensor<4x16x16xf32>, %a: tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32> {
  // CHECK: frond.matmul %{{.*}}, %{{.*}} : (tensor<4x16x16xf32>, tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32>
  %c = frond.matmul %w, %a : (tensor<4x16x16xf32>, tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32>
  return %c : tensor<?x4x16x16xf32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK: frond.unary neg %{{.*}} : tensor<?x8xf32>
  // CHECK: frond.unary exp
  // CHECK: frond.unary log
  // CHECK: frond.unary sqrt
  // CHECK: frond.unary rsqrt
  // CHECK: frond.unary abs
  // CHECK: frond.unary tanh
  // CHECK: frond.unary sigmoid
  // CHECK: frond.unary relu
  // CHECK: frond.unary relu2
  // CHECK: frond.unary gelu
  // CHECK: frond.unary gelu_tanh
  // CHECK: frond.unary silu
  // CHECK: frond.unary softplus
  // CHECK: frond.unary floor
  %0 = frond.unary neg %x : tensor<?x8xf32>
  %1 = frond.unary exp %0 : tensor<?x8xf32>
  %2 = frond.unary log %1 : tensor<?x8xf32>
  %3 = frond.unary sqrt %2 : tensor<?x8xf32>
  %4 = frond.unary rsqrt %3 : tensor<?x8xf32>
  %5 = frond.unary abs %4 : tensor<?x8xf32>
  %6 = frond.unary tanh %5 : tensor<?x8xf32>
  %7 = frond.unary sigmoid %6 : tensor<?x8xf32>
  %8 = frond.unary relu %7 : tensor<?x8xf32>
  %9 = frond.unary relu2 %8 : tensor<?x8xf32>
  %10 = frond.unary gelu %9 : tensor<?x8xf32>
  %11 = frond.unary gelu_tanh %10 : tensor<?x8xf32>
  %12 = frond.unary silu %11 : tensor<?x8xf32>
  %13 = frond.unary softplus %12 : tensor<?x8xf32>
  %14 = frond.unary floor %13 : tensor<?x8xf32>
  return %14 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%x: tensor<?x?x64xf32>, %y: tensor<64xf32>, %s: tensor<f32>,
                  %i: tensor<?x?xi64>, %j: tensor<?x1xi64>,
                  %m: tensor<?x?xi1>, %n: tensor<?x1xi1>) -> tensor<?x?xi64> {
  // CHECK: frond.binary add %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %0 = frond.binary add %x, %y : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary sub %{{.*}}, %{{.*}} : (tensor<f32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %1 = frond.binary sub %s, %0 : (tensor<f32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary mul
  %2 = frond.binary mul %1, %s : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary div
  %3 = frond.binary div %2, %y : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary pow
  %4 = frond.binary pow %3, %s : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary max
  %5 = frond.binary max %4, %x : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.binary min %{{.*}}, %{{.*}} : (tensor<?x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %6 = frond.binary min %i, %j : (tensor<?x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  // CHECK: frond.binary and %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<?x1xi1>) -> tensor<?x?xi1>
  %7 = frond.binary and %m, %n : (tensor<?x?xi1>, tensor<?x1xi1>) -> tensor<?x?xi1>
  // CHECK: frond.binary or %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %8 = frond.binary or %7, %m : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  return %6 : tensor<?x?xi64>
}

// CHECK-LABEL: func.func @compare_select
func.func @compare_select(%t: tensor<1x?xi64>, %src: tensor<?x1xi64>,
                          %x: tensor<?x?xf32>, %zero: tensor<f32>) -> tensor<?x?xf32> {
  // CHECK: frond.compare lt %{{.*}}, %{{.*}} : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %0 = frond.compare lt %t, %src : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  // CHECK: frond.compare le
  %1 = frond.compare le %t, %src : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  // CHECK: frond.compare gt
  %2 = frond.compare gt %t, %src : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  // CHECK: frond.compare ge
  %3 = frond.compare ge %t, %src : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  // CHECK: frond.compare eq
  %4 = frond.compare eq %x, %zero : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xi1>
  // CHECK: frond.compare ne
  %5 = frond.compare ne %x, %zero : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xi1>
  // CHECK: frond.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %6 = frond.select %0, %x, %zero : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  return %6 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @misc_elementwise
func.func @misc_elementwise(%x: tensor<?x?x97xf32>, %g: tensor<?x?x128xbf16>,
                            %u: tensor<?x?x128xbf16>, %pos: tensor<?x?xi64>)
    -> (tensor<?x?x97xf32>, tensor<?x?x128xf32>, tensor<?x?xi64>) {
  // CHECK: frond.softcap %{{.*}} cap = 3.000000e+01 : tensor<?x?x97xf32>
  %0 = frond.softcap %x cap = 30.0 : tensor<?x?x97xf32>
  // CHECK: frond.clamp %{{.*}} min = -1.000000e+02 max = 1.000000e+02 : tensor<?x?x97xf32>
  %1 = frond.clamp %0 min = -100.0 max = 100.0 : tensor<?x?x97xf32>
  // CHECK: frond.clamp %{{.*}} min = 0.000000e+00 : tensor<?x?xi64>
  %2 = frond.clamp %pos min = 0.0 : tensor<?x?xi64>
  // CHECK: frond.clamp %{{.*}} max = 1.000000e+00 : tensor<?x?x97xf32>
  %3 = frond.clamp %1 max = 1.0 : tensor<?x?x97xf32>
  // CHECK: frond.swiglu %{{.*}}, %{{.*}} : tensor<?x?x128xbf16>
  %4 = frond.swiglu %g, %u : tensor<?x?x128xbf16>
  // CHECK: frond.cast %{{.*}} : tensor<?x?x128xbf16> -> tensor<?x?x128xf32>
  %5 = frond.cast %4 : tensor<?x?x128xbf16> -> tensor<?x?x128xf32>
  return %3, %5, %2 : tensor<?x?x97xf32>, tensor<?x?x128xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @fill_iota
func.func @fill_iota(%b: index, %t: index) -> (tensor<?x?xf32>, tensor<?x?xi64>, tensor<f32>, tensor<4x8xi32>) {
  // CHECK: frond.fill 0.000000e+00 : f32 sizes(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
  %0 = frond.fill 0.0 : f32 sizes(%b, %t) : tensor<?x?xf32>
  // CHECK: frond.iota dim = 1 sizes(%{{.*}}, %{{.*}}) : tensor<?x?xi64>
  %1 = frond.iota dim = 1 sizes(%b, %t) : tensor<?x?xi64>
  // CHECK: frond.fill 5.000000e-01 : f32 : tensor<f32>
  %2 = frond.fill 0.5 : f32 : tensor<f32>
  // CHECK: frond.iota dim = 0 : tensor<4x8xi32>
  %3 = frond.iota dim = 0 : tensor<4x8xi32>
  return %0, %1, %2, %3 : tensor<?x?xf32>, tensor<?x?xi64>, tensor<f32>, tensor<4x8xi32>
}

// CHECK-LABEL: func.func @slices
func.func @slices(%x: tensor<?x?x64xf32>, %ids: tensor<?x?xi64>, %src: tensor<?xi64>,
                  %lo: index, %hi: index, %y: tensor<2x10x64xf32>) -> tensor<?x?x64xf32> {
  // CHECK: frond.slice %{{.*}}[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
  %0 = frond.slice %x[0 : 5] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x5x64xf32>
  // CHECK: frond.slice %{{.*}}[-1 : ] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x1x64xf32>
  %1 = frond.slice %x[-1 :] dim = 1 : (tensor<?x?x64xf32>) -> tensor<?x1x64xf32>
  // CHECK: frond.slice %{{.*}}[ : -1] dim = 1 : (tensor<2x10x64xf32>) -> tensor<2x9x64xf32>
  %2 = frond.slice %y[: -1] dim = 1 : (tensor<2x10x64xf32>) -> tensor<2x9x64xf32>
  // CHECK: frond.slice %{{.*}}[%{{.*}} : %{{.*}}] dim = 1 : (tensor<?x?x64xf32>, index, index) -> tensor<?x?x64xf32>
  %3 = frond.slice %x[%lo : %hi] dim = 1 : (tensor<?x?x64xf32>, index, index) -> tensor<?x?x64xf32>
  // CHECK: frond.slice %{{.*}}[%{{.*}} : ] dim = 1 pad = -100 : i64 : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
  %4 = frond.slice %ids[%src :] dim = 1 pad = -100 : i64 : (tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x?xi64>
  // CHECK: frond.slice %{{.*}}[ : %{{.*}}] dim = 1 : (tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
  %5 = frond.slice %x[: %src] dim = 1 : (tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
  // CHECK: frond.concat %{{.*}}, %{{.*}} dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %6 = frond.concat %0, %5 dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: frond.concat %{{.*}}, %{{.*}} dim = 2 : (tensor<2x10x64xf32>, tensor<2x10x64xf32>) -> tensor<2x10x128xf32>
  %7 = frond.concat %y, %y dim = 2 : (tensor<2x10x64xf32>, tensor<2x10x64xf32>) -> tensor<2x10x128xf32>
  return %6 : tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x?x64xf32>, %kv: tensor<?x?x4x16xf32>,
                      %logits: tensor<?x?x97xf32>, %targets: tensor<?x?xi64>)
    -> (tensor<?x?x1xf32>, tensor<?xf32>, tensor<f32>, tensor<f32>, tensor<f64>) {
  // CHECK: frond.reduce mean %{{.*}} dims = [2] keep_dims : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %0 = frond.reduce mean %x dims = [2] keep_dims : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  // CHECK: frond.reduce sum %{{.*}} dims = [1, 2] : tensor<?x?x64xf32> -> tensor<?xf32>
  %1 = frond.reduce sum %x dims = [1, 2] : tensor<?x?x64xf32> -> tensor<?xf32>
  // CHECK: frond.reduce max %{{.*}} dims = [0, 1, 2] : tensor<?x?x64xf32> -> tensor<f32>
  %2 = frond.reduce max %x dims = [0, 1, 2] : tensor<?x?x64xf32> -> tensor<f32>
  // CHECK: frond.reduce min
  %3 = frond.reduce min %x dims = [2] : tensor<?x?x64xf32> -> tensor<?x?xf32>
  // CHECK: frond.cumsum %{{.*}} dim = 1 : tensor<?x?x4x16xf32>
  %4 = frond.cumsum %kv dim = 1 : tensor<?x?x4x16xf32>
  // CHECK: frond.softmax %{{.*}} dim = 2 : tensor<?x?x97xf32>
  %5 = frond.softmax %logits dim = 2 : tensor<?x?x97xf32>
  // CHECK: frond.cross_entropy %{{.*}}, %{{.*}} {shift} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  %6 = frond.cross_entropy %logits, %targets {shift} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  // CHECK: frond.cross_entropy %{{.*}}, %{{.*}} {ignore_index = 0 : i64, label_smoothing = 1.000000e-01 : f64} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  %7 = frond.cross_entropy %logits, %targets {ignore_index = 0, label_smoothing = 0.1} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f32>
  // CHECK: frond.cross_entropy %{{.*}}, %{{.*}} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f64>
  %8 = frond.cross_entropy %logits, %targets {ignore_index = -100} : (tensor<?x?x97xf32>, tensor<?x?xi64>) -> tensor<f64>
  return %0, %1, %6, %7, %8 : tensor<?x?x1xf32>, tensor<?xf32>, tensor<f32>, tensor<f32>, tensor<f64>
}

// CHECK-LABEL: func.func @attention_kinds
func.func @attention_kinds(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                           %v: tensor<?x2x?x8xf32>, %v16: tensor<?x2x?x16xf32>,
                           %g: tensor<?x4x16x16xf32>) -> tensor<?x4x?x8xf32> {
  // CHECK: frond.attention softmax %{{.*}}, %{{.*}}, %{{.*}} scale = 2.500000e-01 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // CHECK-NOT: mask
  %0 = frond.attention softmax %q, %k, %v scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // CHECK: frond.attention linear {{.*}} scale = 1.000000e+00 kv_source :
  %1 = frond.attention linear %q, %k, %v scale = 1.0 kv_source : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // CHECK: frond.attention relaxed_linear
  %2 = frond.attention relaxed_linear %q, %k, %v scale = 1.0 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // CHECK: frond.attention aft {{.*}} -> tensor<?x4x?x16xf32>
  %3 = frond.attention aft %q, %k, %v16 scale = 1.0 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  // CHECK: frond.attention power_law %{{.*}}, %{{.*}}, %{{.*}} metric %{{.*}} : tensor<?x4x16x16xf32> scale = 2.500000e-01 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %4 = frond.attention power_law %q, %k, %v metric %g : tensor<?x4x16x16xf32> scale = 0.25 : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %4 : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @attention_regions
func.func @attention_regions(%q: tensor<2x4x8x16xf64>, %k: tensor<2x4x8x16xf64>,
                             %v: tensor<2x4x8x16xf64>) -> tensor<2x4x8x16xf64> {
  // CHECK: frond.attention softmax
  // CHECK-SAME: -> tensor<2x4x8x16xf64> mask {
  // CHECK-NEXT: ^bb0(%[[B:.*]]: index, %[[H:.*]]: index, %[[Q:.*]]: index, %[[K:.*]]: index):
  // CHECK-NEXT: %[[C:.*]] = arith.cmpi ule, %[[K]], %[[Q]] : index
  // CHECK-NEXT: frond.yield %[[C]] : i1
  // CHECK-NEXT: } score {
  // CHECK-NEXT: ^bb0(%[[S:.*]]: f64, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
  // CHECK: frond.yield %{{.*}} : f64
  %0 = frond.attention softmax %q, %k, %v scale = 0.25
      : tensor<2x4x8x16xf64>, tensor<2x4x8x16xf64>, tensor<2x4x8x16xf64> -> tensor<2x4x8x16xf64>
      mask {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi ule, %j, %i : index
        frond.yield %c : i1
      } score {
      ^bb0(%s: f64, %b: index, %h: index, %i: index, %j: index):
        %cap = arith.constant 50.0 : f64
        %d = arith.divf %s, %cap : f64
        %t = math.tanh %d : f64
        %r = arith.mulf %t, %cap : f64
        frond.yield %r : f64
      }
  return %0 : tensor<2x4x8x16xf64>
}
