//===- TestUtil.h - helpers shared by Frond's unit tests -------*- C++ -*-===//
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace frond::test {

/// A fresh directory under the system temp dir, removed with its contents
/// when the object goes away.
class TempDir {
public:
  explicit TempDir(const std::string &prefix = "frond-test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    char *made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  /// Writes `text` to `name` inside the directory; returns its path.
  std::string write(const std::string &name, const std::string &text) const {
    std::string p = (path / name).string();
    std::ofstream(p) << text;
    return p;
  }

  std::filesystem::path path;
};

} // namespace frond::test
