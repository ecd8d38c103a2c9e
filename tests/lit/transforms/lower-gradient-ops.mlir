// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg -canonicalize | FileCheck %s
// RUN: frond-opt %s -split-input-file -frond-lower-to-linalg | FileCheck %s --check-prefix=NOFROND

// NOFROND-NOT: frond.{{[a-z_]+}} %

// slice_grad with static bounds: the gradient inserted into zeros at the
// (normalised) start.
// CHECK-LABEL: func.func @slice_grad_static
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x?x64xf32>)
// CHECK: %[[S:.*]] = arith.minsi %{{.*}}, %c1 : index
// CHECK: tensor.insert_slice %arg0 into %[[Z]][0, %[[S]], 0] [%{{.*}}, 5, 64] [1, 1, 1] : tensor<?x5x64xf32> into tensor<?x?x64xf32>
func.func @slice_grad_static(%g: tensor<?x5x64xf32>, %x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %0 = frond.slice_grad %g into %x[1 : 6] dim = 1 : (tensor<?x5x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Per-sample bounds: over the input's shape, position j of sample b reads
// the gradient at j - start_b when start_b <= j < end_b and j - start_b is
// within the gradient; an empty gradient gives the zeros.
// CHECK-LABEL: func.func @slice_grad_per_sample
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c1
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi sgt, %[[N]], %c0 : index
// CHECK: scf.if %[[NONEMPTY]]
// CHECK: linalg.generic
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg2[%[[B]]] : tensor<?xi64>
// CHECK: %[[I:.*]] = arith.subi %[[J]], %{{.*}} : index
// CHECK: arith.cmpi slt, %[[I]], %[[N]] : index
// CHECK: arith.cmpi sge, %[[I]], %c0 : index
// CHECK: tensor.extract %arg0[%[[B]], %{{.*}}, %{{.*}}] : tensor<?x?x64xf32>
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[Z]]
func.func @slice_grad_per_sample(%g: tensor<?x?x64xf32>, %x: tensor<?x?x64xf32>, %len: tensor<?xi64>) -> tensor<?x?x64xf32> {
  %0 = frond.slice_grad %g into %x[%len :] dim = 1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// expm: per matrix of the batch (the loop index delinearized), the 1-norm picks the number of
// squarings at run time (ceil(log2(norm / 0.5)), 0 when the norm is
// smaller), then 12 Horner steps of the Taylor polynomial and the
// squarings.
// CHECK-LABEL: func.func @expm
// CHECK-NOT: tensor.collapse_shape
// CHECK: scf.for
// CHECK: tensor.extract_slice %arg0[%{{.*}}, %{{.*}}, 0, 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<?x4x16x16xf32> to tensor<16x16xf32>
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[BIG:.*]] = arith.cmpf ogt, %[[NORM:.*]], %[[THETA:.*]] : f32
// CHECK: math.log2
// CHECK: %[[CEIL:.*]] = math.ceil
// CHECK: arith.select %[[BIG]], %[[CEIL]], %{{.*}} : f32
// CHECK: math.exp2
// CHECK: %[[S:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c1
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.for %{{.*}} = %c0 to %[[S]] step %c1
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: tensor.insert_slice %{{.*}} [1, 1, 16, 16] [1, 1, 1, 1] : tensor<16x16xf32> into tensor<?x4x16x16xf32>
// CHECK-NOT: tensor.expand_shape
func.func @expm(%m: tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32> {
  %0 = frond.expm %m : tensor<?x4x16x16xf32>
  return %0 : tensor<?x4x16x16xf32>
}

// -----

// A reversed cumsum walks from the end: t = n - 1 - k adds t + 1.
// CHECK-LABEL: func.func @cumsum_reverse
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c1
// CHECK: scf.for %[[K:.*]] = %c1 to %[[N]] step %c1
// CHECK: %[[LAST:.*]] = arith.subi %[[N]], %c1 : index
// CHECK: %[[T:.*]] = arith.subi %[[LAST]], %[[K]] : index
// CHECK: %[[NEXT:.*]] = arith.addi %[[T]], %c1 : index
// CHECK: tensor.extract_slice %{{.*}}[0, %[[NEXT]], 0]
// CHECK: tensor.extract_slice %{{.*}}[0, %[[T]], 0]
// CHECK: arith.addf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, %[[T]], 0]
func.func @cumsum_reverse(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %0 = frond.cumsum %x dim = 1 reverse : tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}
