//===- ServeUnavailable.cpp - frond serve in the portable binary ----------===//
//
// The portable binary (FROND_PORTABLE) is linked without cpp-httplib, which
// Debian ships only as a shared library; `frond serve` says so.
//
//===----------------------------------------------------------------------===//
#include "Cli.h"

#include <cstdio>

int frond::cli::serveCommand(const Options &, const Program &, const std::vector<Override> &,
                             DiagEngine &) {
  std::fprintf(stderr,
               "frond: error: serve is not part of the portable frond (it is built without "
               "an HTTP library)\n"
               "  fix: run frond serve from a full build (make build)\n");
  return 2;
}
