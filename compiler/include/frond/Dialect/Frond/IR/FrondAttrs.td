//===- FrondAttrs.td - frond enums and enum attributes -----*- tablegen -*-===//
//
// The "kind" enums that select what a family op computes. Each is an
// EnumAttr (generic form `#frond<unary_kind exp>`), printed as a bare
// keyword inside an op (`frond.unary exp %x`) by custom<EnumKeyword>.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDATTRS_TD
#define FROND_DIALECT_FROND_IR_FRONDATTRS_TD

include "frond/Dialect/Frond/IR/FrondDialect.td"
include "mlir/IR/EnumAttr.td"

/// An I32 enum in the frond namespace, without its own IntegerAttr wrapper
/// (the EnumAttr below is the attribute).
class Frond_I32Enum<string name, string summary, list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::mlir::frond";
  let genSpecializedAttr = 0;
}

class Frond_EnumAttr<EnumInfo info, string mnemonic>
    : EnumAttr<Frond_Dialect, info, mnemonic>;

def Frond_UnaryKind : Frond_I32Enum<"UnaryKind", "elementwise unary function", [
  I32EnumAttrCase<"Neg", 0, "neg">,
  I32EnumAttrCase<"Exp", 1, "exp">,
  I32EnumAttrCase<"Log", 2, "log">,
  I32EnumAttrCase<"Sqrt", 3, "sqrt">,
  I32EnumAttrCase<"Rsqrt", 4, "rsqrt">,
  I32EnumAttrCase<"Abs", 5, "abs">,
  I32EnumAttrCase<"Tanh", 6, "tanh">,
  I32EnumAttrCase<"Sigmoid", 7, "sigmoid">,
  I32EnumAttrCase<"Relu", 8, "relu">,
  I32EnumAttrCase<"Relu2", 9, "relu2">,
  I32EnumAttrCase<"Gelu", 10, "gelu">,
  I32EnumAttrCase<"GeluTanh", 11, "gelu_tanh">,
  I32EnumAttrCase<"Silu", 12, "silu">,
  I32EnumAttrCase<"Softplus", 13, "softplus">,
  I32EnumAttrCase<"Floor", 14, "floor">,
  I32EnumAttrCase<"Erf", 15, "erf">
]>;
def Frond_UnaryKindAttr : Frond_EnumAttr<Frond_UnaryKind, "unary_kind">;

def Frond_BinaryKind : Frond_I32Enum<"BinaryKind", "elementwise binary function", [
  I32EnumAttrCase<"Add", 0, "add">,
  I32EnumAttrCase<"Sub", 1, "sub">,
  I32EnumAttrCase<"Mul", 2, "mul">,
  I32EnumAttrCase<"Div", 3, "div">,
  I32EnumAttrCase<"Pow", 4, "pow">,
  I32EnumAttrCase<"Max", 5, "max">,
  I32EnumAttrCase<"Min", 6, "min">,
  I32EnumAttrCase<"And", 7, "and">,
  I32EnumAttrCase<"Or", 8, "or">
]>;
def Frond_BinaryKindAttr : Frond_EnumAttr<Frond_BinaryKind, "binary_kind">;

def Frond_CompareKind : Frond_I32Enum<"CompareKind", "elementwise comparison", [
  I32EnumAttrCase<"Lt", 0, "lt">,
  I32EnumAttrCase<"Le", 1, "le">,
  I32EnumAttrCase<"Gt", 2, "gt">,
  I32EnumAttrCase<"Ge", 3, "ge">,
  I32EnumAttrCase<"Eq", 4, "eq">,
  I32EnumAttrCase<"Ne", 5, "ne">
]>;
def Frond_CompareKindAttr : Frond_EnumAttr<Frond_CompareKind, "compare_kind">;

def Frond_Activation : Frond_I32Enum<"Activation",
    "activation between the two factors of a low-rank linear", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Relu2", 1, "relu2">,
  I32EnumAttrCase<"Relu", 2, "relu">,
  I32EnumAttrCase<"Gelu", 3, "gelu">,
  I32EnumAttrCase<"Silu", 4, "silu">
]>;
def Frond_ActivationAttr : Frond_EnumAttr<Frond_Activation, "activation">;

def Frond_RopeLayout : Frond_I32Enum<"RopeLayout", "rotary embedding layout", [
  I32EnumAttrCase<"Half", 0, "half">,
  I32EnumAttrCase<"Interleaved", 1, "interleaved">,
  I32EnumAttrCase<"Truncated", 2, "truncated">
]>;
def Frond_RopeLayoutAttr : Frond_EnumAttr<Frond_RopeLayout, "rope_layout">;

def Frond_ReduceKind : Frond_I32Enum<"ReduceKind", "reduction", [
  I32EnumAttrCase<"Sum", 0, "sum">,
  I32EnumAttrCase<"Mean", 1, "mean">,
  I32EnumAttrCase<"Max", 2, "max">,
  I32EnumAttrCase<"Min", 3, "min">
]>;
def Frond_ReduceKindAttr : Frond_EnumAttr<Frond_ReduceKind, "reduce_kind">;

def Frond_AttentionKind : Frond_I32Enum<"AttentionKind", "attention kind", [
  I32EnumAttrCase<"Softmax", 0, "softmax">,
  I32EnumAttrCase<"Linear", 1, "linear">,
  I32EnumAttrCase<"RelaxedLinear", 2, "relaxed_linear">,
  I32EnumAttrCase<"Aft", 3, "aft">,
  I32EnumAttrCase<"PowerLaw", 4, "power_law">
]>;
def Frond_AttentionKindAttr : Frond_EnumAttr<Frond_AttentionKind, "attention_kind">;

#endif // FROND_DIALECT_FROND_IR_FRONDATTRS_TD
