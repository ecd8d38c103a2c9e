//===- ElementwiseToLinalg.cpp - frond elementwise ops to linalg ----------===//
//
// unary, binary, compare, select, softcap, clamp, swiglu, cast, fill and iota
// to one linalg op each. The scalar maths of unary/binary/compare come from
// tables keyed by the op's kind enum; broadcasting lives in indexing maps.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace {

using ScalarFn = Value (*)(OpBuilder &, Location, Value);
using Scalar2Fn = Value (*)(OpBuilder &, Location, Value, Value);

Value one(OpBuilder &b, Location l, Value x) {
  return cFloat(b, l, x.getType(), 1.0);
}
Value sigmoidOf(OpBuilder &b, Location l, Value x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one(b, l, x),
                               arith::AddFOp::create(b, l, one(b, l, x), e));
}
Value reluOf(OpBuilder &b, Location l, Value x) {
  return arith::MaximumFOp::create(b, l, x, cFloat(b, l, x.getType(), 0.0));
}

/// The float function of each unary kind.
struct UnaryEntry {
  UnaryKind kind;
  ScalarFn fn;
};
const UnaryEntry kUnaryTable[] = {
    {UnaryKind::Neg, [](OpBuilder &b, Location l, Value x) -> Value {
       return arith::NegFOp::create(b, l, x);
     }},
    {UnaryKind::Exp, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::ExpOp::create(b, l, x);
     }},
    {UnaryKind::Log, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::LogOp::create(b, l, x);
     }},
    {UnaryKind::Sqrt, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::SqrtOp::create(b, l, x);
     }},
    {UnaryKind::Rsqrt, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::RsqrtOp::create(b, l, x);
     }},
    {UnaryKind::Abs, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::AbsFOp::create(b, l, x);
     }},
    {UnaryKind::Tanh, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::TanhOp::create(b, l, x);
     }},
    {UnaryKind::Sigmoid, sigmoidOf},
    {UnaryKind::Relu, reluOf},
    {UnaryKind::Relu2, [](OpBuilder &b, Location l, Value x) -> Value {
       Value r = reluOf(b, l, x);
       return arith::MulFOp::create(b, l, r, r);
     }},
    {UnaryKind::Gelu, [](OpBuilder &b, Location l, Value x) -> Value {
       // 0.5 x (1 + erf(x / sqrt 2))
       Type t = x.getType();
       Value e = math::ErfOp::create(
           b, l, arith::MulFOp::create(b, l, x, cFloat(b, l, t, M_SQRT1_2)));
       Value s = arith::AddFOp::create(b, l, one(b, l, x), e);
       return arith::MulFOp::create(
           b, l, arith::MulFOp::create(b, l, x, cFloat(b, l, t, 0.5)), s);
     }},
    {UnaryKind::GeluTanh, [](OpBuilder &b, Location l, Value x) -> Value {
       // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
       Type t = x.getType();
       Value x3 = arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
       Value inner = arith::AddFOp::create(
           b, l, x, arith::MulFOp::create(b, l, x3, cFloat(b, l, t, 0.044715)));
       Value th = math::TanhOp::create(
           b, l, arith::MulFOp::create(b, l, inner,
                                       cFloat(b, l, t, 0.7978845608028654)));
       Value s = arith::AddFOp::create(b, l, one(b, l, x), th);
       return arith::MulFOp::create(
           b, l, arith::MulFOp::create(b, l, x, cFloat(b, l, t, 0.5)), s);
     }},
    {UnaryKind::Silu, [](OpBuilder &b, Location l, Value x) -> Value {
       return arith::MulFOp::create(b, l, x, sigmoidOf(b, l, x));
     }},
    {UnaryKind::Softplus, [](OpBuilder &b, Location l, Value x) -> Value {
       // PyTorch's threshold: x > 20 gives x.
       Value sp = math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
       Value big = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                         cFloat(b, l, x.getType(), 20.0));
       return arith::SelectOp::create(b, l, big, x, sp);
     }},
    {UnaryKind::Erf, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::ErfOp::create(b, l, x);
     }},
    {UnaryKind::Floor, [](OpBuilder &b, Location l, Value x) -> Value {
       return math::FloorOp::create(b, l, x);
     }},
};

ScalarFn unaryFn(UnaryKind kind) {
  for (const UnaryEntry &e : kUnaryTable)
    if (e.kind == kind)
      return e.fn;
  return nullptr;
}

/// The float and integer functions of each binary kind (null: not defined
/// for that element type; the verifier rejects those).
struct BinaryEntry {
  BinaryKind kind;
  Scalar2Fn onFloat, onInt;
};
#define FROND_BIN(OP)                                                          \
  [](OpBuilder &b, Location l, Value x, Value y) -> Value {                    \
    return OP::create(b, l, x, y);                                             \
  }
const BinaryEntry kBinaryTable[] = {
    {BinaryKind::Add, FROND_BIN(arith::AddFOp), FROND_BIN(arith::AddIOp)},
    {BinaryKind::Sub, FROND_BIN(arith::SubFOp), FROND_BIN(arith::SubIOp)},
    {BinaryKind::Mul, FROND_BIN(arith::MulFOp), FROND_BIN(arith::MulIOp)},
    {BinaryKind::Div, FROND_BIN(arith::DivFOp), FROND_BIN(arith::DivSIOp)},
    {BinaryKind::Pow, FROND_BIN(math::PowFOp), nullptr},
    {BinaryKind::Max, FROND_BIN(arith::MaximumFOp), FROND_BIN(arith::MaxSIOp)},
    {BinaryKind::Min, FROND_BIN(arith::MinimumFOp), FROND_BIN(arith::MinSIOp)},
    {BinaryKind::And, nullptr, FROND_BIN(arith::AndIOp)},
    {BinaryKind::Or, nullptr, FROND_BIN(arith::OrIOp)},
};
#undef FROND_BIN

Scalar2Fn binaryFn(BinaryKind kind, Type elem) {
  for (const BinaryEntry &e : kBinaryTable)
    if (e.kind == kind)
      return isa<FloatType>(elem) ? e.onFloat : e.onInt;
  return nullptr;
}

/// Predicates of each comparison: ordered for floats except `ne`.
struct CompareEntry {
  CompareKind kind;
  arith::CmpFPredicate f;
  arith::CmpIPredicate i;
};
const CompareEntry kCompareTable[] = {
    {CompareKind::Lt, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt},
    {CompareKind::Le, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle},
    {CompareKind::Gt, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt},
    {CompareKind::Ge, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge},
    {CompareKind::Eq, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq},
    {CompareKind::Ne, arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne},
};

RankedTensorType resultTypeOf(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType());
}

struct UnaryLowering : OpRewritePattern<UnaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnaryOp op, PatternRewriter &rw) const final {
    ScalarFn fn = unaryFn(op.getKind());
    if (!fn)
      return op.emitError("no lowering for unary kind '")
             << stringifyUnaryKind(op.getKind()) << "'";
    rw.replaceOp(op, buildElementwise(rw, op.getLoc(), resultTypeOf(op),
                                      op.getInput(),
                                      [&](OpBuilder &b, Location l,
                                          ValueRange a) { return fn(b, l, a[0]); }));
    return success();
  }
};

struct BinaryLowering : OpRewritePattern<BinaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryOp op, PatternRewriter &rw) const final {
    RankedTensorType type = resultTypeOf(op);
    Scalar2Fn fn = binaryFn(op.getKind(), type.getElementType());
    if (!fn)
      return op.emitError("no lowering for binary kind '")
             << stringifyBinaryKind(op.getKind()) << "' on "
             << type.getElementType();
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), type, {op.getLhs(), op.getRhs()},
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           return fn(b, l, a[0], a[1]);
                         }));
    return success();
  }
};

struct CompareLowering : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op, PatternRewriter &rw) const final {
    const CompareEntry *entry = llvm::find_if(
        kCompareTable, [&](const CompareEntry &e) { return e.kind == op.getKind(); });
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), resultTypeOf(op),
                         {op.getLhs(), op.getRhs()},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           if (isa<FloatType>(a[0].getType()))
                             return arith::CmpFOp::create(b, l, entry->f, a[0], a[1]);
                           return arith::CmpIOp::create(b, l, entry->i, a[0], a[1]);
                         }));
    return success();
  }
};

struct SelectLowering : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op, PatternRewriter &rw) const final {
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), resultTypeOf(op),
                         {op.getCond(), op.getTrueValue(), op.getFalseValue()},
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
                         }));
    return success();
  }
};

struct SoftcapLowering : OpRewritePattern<SoftcapOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftcapOp op, PatternRewriter &rw) const final {
    double cap = op.getCap().convertToDouble();
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), resultTypeOf(op), op.getInput(),
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Type t = a[0].getType();
                           Value s = arith::MulFOp::create(b, l, a[0], cFloat(b, l, t, 1.0 / cap));
                           return arith::MulFOp::create(b, l, math::TanhOp::create(b, l, s),
                                                        cFloat(b, l, t, cap));
                         }));
    return success();
  }
};

struct ClampLowering : OpRewritePattern<ClampOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClampOp op, PatternRewriter &rw) const final {
    std::optional<APFloat> lo = op.getMin(), hi = op.getMax();
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), resultTypeOf(op), op.getInput(),
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value x = a[0];
                           Type t = x.getType();
                           auto bound = [&](const APFloat &v) -> Value {
                             double d = v.convertToDouble();
                             if (isa<FloatType>(t))
                               return cFloat(b, l, t, d);
                             return arith::ConstantOp::create(
                                 b, l, t, b.getIntegerAttr(t, int64_t(d)));
                           };
                           bool isFloat = isa<FloatType>(t);
                           if (lo)
                             x = isFloat ? Value(arith::MaximumFOp::create(b, l, x, bound(*lo)))
                                         : Value(arith::MaxSIOp::create(b, l, x, bound(*lo)));
                           if (hi)
                             x = isFloat ? Value(arith::MinimumFOp::create(b, l, x, bound(*hi)))
                                         : Value(arith::MinSIOp::create(b, l, x, bound(*hi)));
                           return x;
                         }));
    return success();
  }
};

struct SwigluLowering : OpRewritePattern<SwigluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SwigluOp op, PatternRewriter &rw) const final {
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), resultTypeOf(op), {op.getGate(), op.getUp()},
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value silu = arith::MulFOp::create(b, l, a[0], sigmoidOf(b, l, a[0]));
                           return arith::MulFOp::create(b, l, silu, a[1]);
                         }));
    return success();
  }
};

struct CastLowering : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op, PatternRewriter &rw) const final {
    RankedTensorType type = resultTypeOf(op);
    rw.replaceOp(op, buildElementwise(
                         rw, op.getLoc(), type, op.getInput(),
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           return convertScalar(b, l, a[0], type.getElementType());
                         }));
    return success();
  }
};

struct FillLowering : OpRewritePattern<FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FillOp op, PatternRewriter &rw) const final {
    RankedTensorType type = resultTypeOf(op);
    Location loc = op.getLoc();
    auto attr = cast<TypedAttr>(op.getValue());
    Value scalar = arith::ConstantOp::create(rw, loc, attr);
    scalar = convertScalar(rw, loc, scalar, type.getElementType());
    SmallVector<Value> dyn(op.getDynamicSizes());
    rw.replaceOp(op, filledTensor(rw, loc, sizesFor(rw, type, dyn), scalar));
    return success();
  }
};

struct IotaLowering : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op, PatternRewriter &rw) const final {
    RankedTensorType type = resultTypeOf(op);
    Location loc = op.getLoc();
    SmallVector<Value> dyn(op.getDynamicSizes());
    Value init = emptyTensor(rw, loc, sizesFor(rw, type, dyn), type.getElementType());
    unsigned rank = type.getRank();
    int64_t dim = op.getDim();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, rw.getContext());
    SmallVector<utils::IteratorType> its(rank, utils::IteratorType::parallel);
    rw.replaceOp(op, buildGeneric(rw, loc, {}, init, {id}, its,
                                  [&](OpBuilder &b, Location l, ValueRange) {
                                    Value i = linalg::IndexOp::create(b, l, dim);
                                    Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
                                    return convertScalar(b, l, i64, type.getElementType());
                                  }));
    return success();
  }
};

} // namespace

void mlir::frond::populateElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<UnaryLowering, BinaryLowering, CompareLowering, SelectLowering,
               SoftcapLowering, ClampLowering, SwigluLowering, CastLowering,
               FillLowering, IotaLowering>(patterns.getContext());
}

namespace mlir::frond::lowering {
/// Applies the unary kind `kind` to a float scalar (shared with layers).
Value applyUnary(OpBuilder &b, Location loc, UnaryKind kind, Value x) {
  return unaryFn(kind)(b, loc, x);
}
} // namespace mlir::frond::lowering
