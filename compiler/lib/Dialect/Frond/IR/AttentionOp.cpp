//===- AttentionOp.cpp - frond.attention ----------------------------------===//
//
// Operand shapes (head grouping, head dims, the power-law metric), the
// signatures of the `mask` and `score` regions (region errors point at the
// offending block argument or yield), and the gradient rule, which builds
// frond.attention_grad.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "ShapeUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

Type AttentionOp::getScoreType(Type elementType) {
  MLIRContext *ctx = elementType.getContext();
  return elementType.isF64() ? Type(Float64Type::get(ctx))
                             : Type(Float32Type::get(ctx));
}

LogicalResult AttentionOp::verify() {
  auto q = getQ().getType();
  auto k = getK().getType();
  auto v = getV().getType();
  if (failed(verifyRank(*this, "q", q, 4, "[b, h, tq, D]")) ||
      failed(verifyRank(*this, "k", k, 4, "[b, hkv, tk, D]")) ||
      failed(verifyRank(*this, "v", v, 4, "[b, hkv, tk, Dv]")) ||
      failed(verifySameElementType(*this, "q", q, "k", k)) ||
      failed(verifySameElementType(*this, "q", q, "v", v)) ||
      failed(verifyDimsMatch(*this, "the batch (b)", "q", q, 0, "k", k, 0)) ||
      failed(verifyDimsMatch(*this, "the batch (b)", "k", k, 0, "v", v, 0)) ||
      failed(verifyDimsMatch(*this, "the key/value heads (hkv)", "k", k, 1,
                             "v", v, 1)) ||
      failed(verifyDimsMatch(*this, "the key length (tk)", "k", k, 2, "v", v,
                             2)) ||
      failed(verifyDimsMatch(*this, "the head dim (D)", "q", q, 3, "k", k, 3)))
    return failure();

  int64_t h = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!isDynamic(h) && !isDynamic(hkv) && (hkv == 0 || h % hkv != 0))
    return emitOpError() << "expects the query heads (h = " << h
                         << ") to be a multiple of the key/value heads (hkv = "
                         << hkv << "): q is " << q << ", k is " << k;

  AttentionKind kind = getKind();
  if (kind == AttentionKind::Aft &&
      failed(verifyDimsMatch(*this, "the head dims for 'aft' (D == Dv)", "q",
                             q, 3, "v", v, 3)))
    return failure();

  if (Value metricValue = getMetric()) {
    if (kind != AttentionKind::PowerLaw)
      return emitOpError() << "takes a 'metric' operand only for 'power_law', "
                              "not for '"
                           << stringifyAttentionKind(kind) << "'";
    auto g = cast<RankedTensorType>(metricValue.getType());
    if (failed(verifyRank(*this, "metric", g, 4, "[b, h, D, D]")) ||
        failed(verifySameElementType(*this, "metric", g, "q", q)) ||
        failed(verifyDimsMatch(*this, "the batch (b)", "metric", g, 0, "q", q,
                               0)) ||
        failed(verifyDimsMatch(*this, "the query heads (h)", "metric", g, 1,
                               "q", q, 1)) ||
        failed(verifyDimsMatch(*this, "the head dim (D)", "metric", g, 2, "q",
                               q, 3)) ||
        failed(verifyDimsMatch(*this, "the head dim (D)", "metric", g, 3, "k",
                               k, 3)))
      return failure();
  } else if (kind == AttentionKind::PowerLaw) {
    return emitOpError() << "expects a 'metric' operand G [b, h, D, D] for "
                            "'power_law'";
  }

  SmallVector<int64_t> shape = {q.getDimSize(0), h, q.getDimSize(2),
                                v.getDimSize(3)};
  return verifyResultType(*this, getType(), shape, q.getElementType(),
                          "q [b, h, tq, D] and v [b, hkv, tk, Dv]");
}

/// Checks the entry block of a non-empty region: `leading` block arguments
/// (named by `names`), then one per capture, and a `frond.yield` of
/// `yieldType`.
static LogicalResult verifyRegion(Operation *op, ValueRange captures, Region &region,
                                  StringRef regionName,
                                  ArrayRef<std::pair<StringRef, Type>> leading,
                                  Type yieldType) {
  if (region.empty())
    return success();
  Block &block = region.front();
  size_t expected = leading.size() + captures.size();
  if (block.getNumArguments() != expected) {
    std::string sig;
    llvm::raw_string_ostream os(sig);
    for (auto [i, arg] : llvm::enumerate(leading))
      os << (i ? ", " : "") << arg.first << ": " << arg.second;
    return op->emitOpError()
           << "expects the '" << regionName << "' region to take "
           << expected << " arguments (" << sig << ", then one per capture: "
           << captures.size() << "), found " << block.getNumArguments();
  }
  for (auto [i, arg] : llvm::enumerate(block.getArguments())) {
    bool isCapture = i >= leading.size();
    Type want = isCapture ? captures[i - leading.size()].getType()
                          : leading[i].second;
    if (arg.getType() == want)
      continue;
    InFlightDiagnostic diag = emitError(arg.getLoc())
                              << "'" << op->getName() << "' '" << regionName
                              << "' region argument #" << i << " (";
    if (isCapture)
      diag << "capture #" << i - leading.size();
    else
      diag << leading[i].first;
    diag << ") must be " << want << ", found " << arg.getType();
    diag.attachNote(op->getLoc()) << "in this attention op";
    return diag;
  }
  // The generic verifier has already required a terminator; stay safe anyway.
  auto yield = block.empty() ? YieldOp() : dyn_cast<YieldOp>(block.back());
  if (!yield)
    return op->emitOpError() << "expects the '" << regionName
                             << "' region to end with 'frond.yield'";
  if (yield.getValue().getType() != yieldType)
    return yield.emitOpError()
           << "in the '" << regionName << "' region must yield " << yieldType
           << ", found " << yield.getValue().getType();
  return success();
}

/// The mask and score regions' signatures, shared by attention and
/// attention_grad.
static LogicalResult verifyAttentionRegions(Operation *op, ValueRange captures, Region &mask,
                                            Region &scoreRegion, Type score) {
  MLIRContext *ctx = op->getContext();
  Type index = IndexType::get(ctx);
  Type i1 = IntegerType::get(ctx, 1);
  if (failed(verifyRegion(op, captures, mask, "mask",
                          {{"b", index}, {"h", index}, {"q", index}, {"k", index}}, i1)))
    return failure();
  return verifyRegion(op, captures, scoreRegion, "score",
                      {{"s", score}, {"b", index}, {"h", index}, {"q", index}, {"k", index}},
                      score);
}

LogicalResult AttentionOp::verifyRegions() {
  return verifyAttentionRegions(*this, getCaptures(), getMask(), getScore(), getScoreType());
}

static void nameRegionArguments(Region &region, bool isScore, OpAsmSetValueNameFn setNameFn) {
  if (region.empty())
    return;
  SmallVector<StringRef> names = {"b", "h", "q", "k"};
  if (isScore)
    names.insert(names.begin(), "s");
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    setNameFn(arg, i < names.size() ? names[i] : "cap");
}

bool AttentionGradOp::isDifferentiableCapture(Value capture) {
  auto t = dyn_cast<RankedTensorType>(capture.getType());
  return t && isa<FloatType>(t.getElementType());
}

LogicalResult AttentionGradOp::verify() {
  for (auto [operand, result] : {std::pair{getQ(), getDq()}, {getK(), getDk()}, {getV(), getDv()}})
    if (operand.getType() != result.getType())
      return emitOpError() << "expects each gradient to have its operand's type, found "
                           << result.getType() << " for " << operand.getType();
  if (getOut().getType() != getDout().getType())
    return emitOpError() << "expects out and dout of one type, found " << getOut().getType()
                         << " and " << getDout().getType();
  bool powerLaw = getKind() == AttentionKind::PowerLaw;
  if (bool(getMetric()) != powerLaw)
    return emitOpError() << "takes a 'metric' operand exactly when the kind is 'power_law' (kind '"
                         << stringifyAttentionKind(getKind()) << "', "
                         << (getMetric() ? "with" : "without") << " a metric)";
  if (bool(getDmetric()) != bool(getMetric()))
    return emitOpError() << "expects a 'metric_grad' result exactly when there is a 'metric' operand";
  if (getMetric() && getMetric().getType() != getDmetric().getType())
    return emitOpError() << "expects the metric's gradient to have its type, found "
                         << getDmetric().getType() << " for " << getMetric().getType();
  // One gradient per float-tensor capture, in order, of a compatible type
  // (shape inference may refine a capture's type after the rule ran).
  SmallVector<Value> differentiable;
  llvm::copy_if(getCaptures(), std::back_inserter(differentiable), isDifferentiableCapture);
  ValueRange grads = getCaptureGrads();
  if (grads.size() != differentiable.size())
    return emitOpError() << "expects one 'capture_grads' result per float-tensor capture ("
                         << differentiable.size() << "), found " << grads.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(differentiable, grads))) {
    auto [capture, grad] = pair;
    auto c = cast<RankedTensorType>(capture.getType());
    auto g = cast<RankedTensorType>(grad.getType());
    if (c.getElementType() != g.getElementType() || failed(verifyCompatibleShape(c, g)))
      return emitOpError() << "expects capture gradient #" << i << " to have its capture's type "
                           << c << ", found " << g;
  }
  return success();
}

LogicalResult AttentionGradOp::verifyCaptureReads(ValueRange captures, Region &score) {
  if (score.empty())
    return success();
  Block &block = score.front();
  unsigned leading = block.getNumArguments() - captures.size();
  for (auto [i, c] : llvm::enumerate(captures))
    if (isDifferentiableCapture(c))
      for (Operation *user : block.getArgument(leading + i).getUsers())
        if (!isa<tensor::ExtractOp>(user))
          return user->emitError("uses captured tensor #")
                 << i << " other than by reading elements with tensor.extract; the attention's "
                 << "gradient needs its score region to read float captures that way";
  return success();
}

LogicalResult AttentionGradOp::verifyRegions() {
  if (failed(verifyAttentionRegions(*this, getCaptures(), getMask(), getScore(),
                                    AttentionOp::getScoreType(getQ().getType().getElementType()))))
    return failure();
  return verifyCaptureReads(getCaptures(), getScore());
}

void AttentionGradOp::getAsmBlockArgumentNames(Region &region, OpAsmSetValueNameFn setNameFn) {
  nameRegionArguments(region, &region == &getScore(), setNameFn);
}

void AttentionOp::getAsmBlockArgumentNames(Region &region,
                                           OpAsmSetValueNameFn setNameFn) {
  nameRegionArguments(region, &region == &getScore(), setNameFn);
}

/// dq, dk, dv, dmetric (power_law) and one gradient per float-tensor capture
/// (ALiBi slopes, bias tables) from one frond.attention_grad with the
/// forward's regions.
LogicalResult AttentionOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  if (failed(AttentionGradOp::verifyCaptureReads(getCaptures(), getScore())))
    return failure();
  Value metric = getMetric();
  SmallVector<Type> captureGradTypes;
  for (Value c : getCaptures())
    if (AttentionGradOp::isDifferentiableCapture(c))
      captureGradTypes.push_back(c.getType());
  auto grad = AttentionGradOp::create(
      b, getLoc(), getQ().getType(), getK().getType(), getV().getType(),
      metric ? metric.getType() : Type(), captureGradTypes, getKindAttr(), getQ(), getK(), getV(),
      metric, getResult(), g, getCaptures(), getScaleAttr(), getKvSourceAttr());
  IRMapping map;
  getMask().cloneInto(&grad.getMask(), map);
  getScore().cloneInto(&grad.getScore(), map);
  // Operand order: q, k, v, metric?, captures...
  operandGrads[0] = grad.getDq();
  operandGrads[1] = grad.getDk();
  operandGrads[2] = grad.getDv();
  if (metric)
    operandGrads[3] = grad.getDmetric();
  ValueRange captureGrads = grad.getCaptureGrads();
  // The captures are the last operands.
  unsigned first = getNumOperands() - getCaptures().size(), used = 0;
  for (auto [i, c] : llvm::enumerate(getCaptures()))
    if (AttentionGradOp::isDifferentiableCapture(c))
      operandGrads[first + i] = captureGrads[used++];
  return success();
}
