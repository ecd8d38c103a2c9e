// RUN: frond-opt %s -frond-tile-and-vectorize="tile-m=0" -verify-diagnostics

// expected-error @+1 {{tile sizes must be positive}}
func.func @f() {
  return
}
