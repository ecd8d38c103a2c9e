//===- BuiltinHelpers.h - argument checks shared by the builtins ----------===//
//
// Private to lang/: what Builtins.cpp and BuiltinAttention.cpp share.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LANG_BUILTINHELPERS_H
#define FROND_LANG_BUILTINHELPERS_H

#include "Elaborate.h"

namespace frond::builtin {

using E = Elaborator;

inline Dim known(long long n) { return Dim{"", n}; }

/// The last dimension of `arg` as a known size, or an error.
bool width(E &e, const Bound &b, const std::string &arg, long long &out);
/// Whether `arg` is one of `allowed`; an error naming them otherwise.
bool isStr(E &e, const Bound &b, const std::string &arg, const std::vector<std::string> &allowed);
bool positiveNumber(E &e, const Bound &b, const std::string &arg, bool allowZero = false);
/// A float tensor shaped like x with the last dimension n.
Value withLast(const Value &x, long long n);

/// Rotates x [b, t, h, D] by a rope() encoding (BuiltinAttention.cpp).
Value applyRope(E &e, const Value &x, const Value &pos, Loc at);
/// The `attention` builtin (BuiltinAttention.cpp).
Value attention(E &e, const Bound &b);

} // namespace frond::builtin

#endif // FROND_LANG_BUILTINHELPERS_H
