//===- Values.cpp - compile-time values ----------------------------------===//
#include "frond/lang/Values.h"

#include <sstream>

using namespace frond;

std::string Dim::str() const {
  if (!known())
    return name.empty() ? "?" : name;
  return std::to_string(size);
}

bool Dim::operator==(const Dim &o) const {
  if (known() || o.known())
    return size == o.size;
  return name == o.name;
}

std::string frond::shapeStr(const Shape &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + s[i].str();
  return out + "]";
}

Value Value::ofInt(long long v) { Value x; x.kind = Int; x.i = v; return x; }
Value Value::ofFloat(double v) { Value x; x.kind = Float; x.f = v; return x; }
Value Value::ofBool(bool v) { Value x; x.kind = Bool; x.b = v; return x; }
Value Value::ofStr(std::string v) { Value x; x.kind = Str; x.s = std::move(v); return x; }
Value Value::none() { Value x; x.kind = None; return x; }
Value Value::tensor(Shape s, std::string dtype) {
  Value x;
  x.kind = Tensor;
  x.shape = std::move(s);
  x.s = std::move(dtype);
  return x;
}

const char *frond::kindName(Value::Kind k) {
  switch (k) {
  case Value::Invalid: return "an invalid value";
  case Value::Int: return "an integer";
  case Value::Float: return "a number";
  case Value::Bool: return "a boolean";
  case Value::Str: return "a string";
  case Value::None: return "none";
  case Value::List: return "a list";
  case Value::Tensor: return "a tensor";
  case Value::Mask: return "a mask";
  case Value::Score: return "a score modifier";
  case Value::Block: return "a block";
  case Value::Model: return "a model";
  case Value::Pos: return "a position encoding";
  case Value::Config: return "a configuration value";
  case Value::Index: return "an index";
  }
  return "a value";
}

static std::string fmtFloat(double f) {
  std::ostringstream os;
  os << f;
  std::string s = os.str();
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

std::string Value::str() const {
  switch (kind) {
  case Int: return std::to_string(i);
  case Float: return fmtFloat(f);
  case Bool: return b ? "true" : "false";
  case Str: {
    std::string out = "\"";
    for (char c : s)
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '"' ? "\\\"" : c == '\\' ? "\\\\" : std::string(1, c);
    return out + "\"";
  }
  case None: return "none";
  case List: {
    std::string out = "[";
    for (size_t k = 0; k < list.size(); ++k)
      out += (k ? ", " : "") + list[k].str();
    return out + "]";
  }
  case Tensor: return display.empty() ? "tensor" + shapeStr(shape) : display;
  case Config:
  case Pos: {
    std::string out = display.empty() ? s : display;
    out += "(";
    bool first = true;
    for (auto &[k, v] : fields) {
      out += (first ? "" : ", ") + k + " = " + v.str();
      first = false;
    }
    return out + ")";
  }
  default: return display.empty() ? kindName(kind) : display;
  }
}

std::string Value::describe() const {
  switch (kind) {
  case Int: case Float: case Bool: case Str:
    return std::string(kindName(kind)) + " (" + str() + ")";
  case Tensor:
    return shape.empty() ? "a scalar " + s + " tensor"
                         : std::string(s == "int" ? "an " : "a ") + s + " tensor " + shapeStr(shape);
  case Mask: case Score: case Block: case Model:
    return std::string(kindName(kind)) + (display.empty() ? "" : " '" + display + "'");
  default:
    return kindName(kind);
  }
}
