//===- Safetensors.cpp - the safetensors format, read and written --------===//
//
// A small JSON reader/writer for the header (no dependency), strict
// validation on read and atomic writes.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; add byte swapping for this host");

using namespace frond::runtime;

namespace {

// --- JSON -------------------------------------------------------------------

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  std::string num; ///< The literal, so integers keep every digit
  std::string s;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;
};

struct JsonParser {
  const std::string &t;
  size_t i = 0;
  std::string error;
  int depth = 0;
  explicit JsonParser(const std::string &t) : t(t) {}

  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t'))
      ++i;
  }
  bool fail(const std::string &m) {
    if (error.empty())
      error = m + " at byte " + std::to_string(i) + " of the header";
    return false;
  }
  static void utf8(std::string &out, uint32_t c) {
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xc0 | (c >> 6));
      out += char(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += char(0xe0 | (c >> 12));
      out += char(0x80 | ((c >> 6) & 0x3f));
      out += char(0x80 | (c & 0x3f));
    } else {
      out += char(0xf0 | (c >> 18));
      out += char(0x80 | ((c >> 12) & 0x3f));
      out += char(0x80 | ((c >> 6) & 0x3f));
      out += char(0x80 | (c & 0x3f));
    }
  }
  bool hex4(uint32_t &v) {
    if (i + 4 > t.size())
      return fail("truncated \\u escape");
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = t[i++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= uint32_t(c - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    return true;
  }
  bool string(std::string &out) {
    if (i >= t.size() || t[i] != '"')
      return fail("expected a string");
    ++i;
    while (true) {
      if (i >= t.size())
        return fail("unterminated string");
      char c = t[i++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= t.size())
        return fail("unterminated escape");
      char e = t[i++];
      switch (e) {
      case '"': case '\\': case '/': out += e; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t v = 0;
        if (!hex4(v))
          return false;
        if (v >= 0xd800 && v < 0xdc00 && i + 1 < t.size() && t[i] == '\\' && t[i + 1] == 'u') {
          i += 2;
          uint32_t lo = 0;
          if (!hex4(lo))
            return false;
          if (lo >= 0xdc00 && lo < 0xe000)
            v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
        }
        utf8(out, v);
        break;
      }
      default: return fail("bad escape");
      }
    }
  }
  bool value(Json &out) {
    if (++depth > 64)
      return fail("JSON nested too deeply");
    ws();
    bool ok = inner(out);
    --depth;
    return ok;
  }
  bool inner(Json &out) {
    if (i >= t.size())
      return fail("unexpected end of the header");
    char c = t[i];
    if (c == '{') {
      ++i;
      out.kind = Json::Object;
      ws();
      if (i < t.size() && t[i] == '}')
        return ++i, true;
      while (true) {
        ws();
        std::string k;
        if (!string(k))
          return false;
        ws();
        if (i >= t.size() || t[i] != ':')
          return fail("expected ':'");
        ++i;
        Json v;
        if (!value(v))
          return false;
        out.fields.push_back({std::move(k), std::move(v)});
        ws();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        if (i < t.size() && t[i] == '}')
          return ++i, true;
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++i;
      out.kind = Json::Array;
      ws();
      if (i < t.size() && t[i] == ']')
        return ++i, true;
      while (true) {
        Json v;
        if (!value(v))
          return false;
        out.items.push_back(std::move(v));
        ws();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        if (i < t.size() && t[i] == ']')
          return ++i, true;
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      out.kind = Json::String;
      return string(out.s);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t s = i;
      while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '-' ||
                              t[i] == '+' || t[i] == '.' || t[i] == 'e' || t[i] == 'E'))
        ++i;
      out.kind = Json::Number;
      out.num = t.substr(s, i - s);
      return true;
    }
    for (const char *w : {"true", "false", "null"})
      if (t.compare(i, std::strlen(w), w) == 0) {
        i += std::strlen(w);
        out.kind = w[0] == 'n' ? Json::Null : Json::Bool;
        out.b = w[0] == 't';
        return true;
      }
    return fail("unexpected character");
  }
};

/// A non-negative integer literal that fits in int64 (no sign, fraction or exponent).
bool asIndex(const Json &j, int64_t &out) {
  if (j.kind != Json::Number || j.num.empty() || j.num.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : j.num) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

void jsonString(std::string &out, const std::string &s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  Tensor t;
  t.shape = shape;
  return t.shapeStr();
}

} // namespace

// --- encoding ------------------------------------------------------------------

std::string frond::runtime::encodeSafetensors(const std::map<std::string, Tensor> &tensors,
                                              const std::map<std::string, std::string> &metadata) {
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
      if (it != metadata.begin())
        header += ',';
      jsonString(header, it->first);
      header += ':';
      jsonString(header, it->second);
    }
    header += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (auto &[name, t] : tensors) {
    uint64_t bytes = uint64_t(t.numel()) * elementSize(t.dtype);
    if (!first)
      header += ',';
    first = false;
    jsonString(header, name);
    header += ":{\"dtype\":\"";
    header += safetensorsDType(t.dtype);
    header += "\",\"shape\":[";
    for (size_t k = 0; k < t.shape.size(); ++k)
      header += (k ? "," : "") + std::to_string(t.shape[k]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += '}';
  // Pad with spaces so the data starts 8-byte aligned.
  while ((header.size() + 8) % 8)
    header += ' ';
  std::string out;
  out.reserve(8 + header.size() + offset);
  uint64_t n = header.size();
  for (int k = 0; k < 8; ++k)
    out += char((n >> (8 * k)) & 0xff);
  out += header;
  for (auto &[name, t] : tensors) {
    size_t bytes = size_t(t.numel()) * elementSize(t.dtype);
    const void *src = t.data();
    size_t have = t.stored() * elementSize(t.dtype);
    out.append(static_cast<const char *>(src), std::min(bytes, have));
    out.append(bytes - std::min(bytes, have), '\0');
  }
  return out;
}

// --- decoding ------------------------------------------------------------------

bool frond::runtime::decodeSafetensors(const std::string &bytes, const std::string &name,
                                       std::map<std::string, Tensor> &tensors,
                                       std::map<std::string, std::string> &metadata,
                                       std::string &error) {
  const std::string corruptFix =
      "; fix: the file is damaged or not a safetensors file: use another checkpoint "
      "(or delete this one and start a fresh run)";
  auto fail = [&](const std::string &m, const std::string &fix) {
    error = name + ": " + m + fix;
    return false;
  };
  if (bytes.size() < 8)
    return fail("truncated: " + std::to_string(bytes.size()) +
                    " bytes, but a safetensors file starts with an 8-byte header length",
                corruptFix);
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k)
    n = (n << 8) | uint64_t(static_cast<unsigned char>(bytes[size_t(k)]));
  if (n > 100u * 1024u * 1024u)
    return fail("corrupt: the header length is " + std::to_string(n) +
                    " bytes (more than 100 MiB)",
                corruptFix);
  if (n > bytes.size() - 8)
    return fail("truncated: the header needs " + std::to_string(n) + " bytes but only " +
                    std::to_string(bytes.size() - 8) + " follow the length",
                corruptFix);
  std::string header = bytes.substr(8, size_t(n));
  if (header.empty() || header[0] != '{')
    return fail("corrupt: the header is not a JSON object", corruptFix);
  JsonParser p(header);
  Json root;
  if (!p.value(root))
    return fail("corrupt header: " + p.error, corruptFix);
  p.ws();
  if (p.i != header.size() || root.kind != Json::Object)
    return fail("corrupt header: text after the JSON object", corruptFix);

  const uint64_t dataSize = bytes.size() - 8 - n;
  const char *data = bytes.data() + 8 + n;
  std::map<std::string, Tensor> out;
  std::map<std::string, std::string> meta;
  std::vector<std::pair<std::pair<int64_t, int64_t>, std::string>> ranges;
  for (auto &[key, v] : root.fields) {
    if (key == "__metadata__") {
      if (v.kind != Json::Object)
        return fail("corrupt header: __metadata__ is not an object of strings", corruptFix);
      for (auto &[mk, mv] : v.fields) {
        if (mv.kind != Json::String)
          return fail("corrupt header: metadata '" + mk + "' is not a string", corruptFix);
        meta[mk] = mv.s;
      }
      continue;
    }
    std::string where = "tensor '" + key + "'";
    if (out.count(key))
      return fail(where + " appears twice in the header", corruptFix);
    if (v.kind != Json::Object)
      return fail(where + ": its header entry is not an object", corruptFix);
    const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (auto &[fk, fv] : v.fields) {
      if (fk == "dtype")
        dtype = &fv;
      else if (fk == "shape")
        shape = &fv;
      else if (fk == "data_offsets")
        offsets = &fv;
    }
    if (!dtype || !shape || !offsets)
      return fail(where + ": the header entry needs dtype, shape and data_offsets", corruptFix);
    Tensor t;
    if (dtype->kind == Json::String && dtype->s == "F32")
      t.dtype = DType::F32;
    else if (dtype->kind == Json::String && dtype->s == "F64")
      t.dtype = DType::F64;
    else if (dtype->kind == Json::String && dtype->s == "I64")
      t.dtype = DType::I64;
    else
      return fail(where + " has dtype " + (dtype->kind == Json::String ? dtype->s : "?") +
                      ", but Frond reads only F32, F64 and I64",
                  "; fix: convert the file to float32 (e.g. with the safetensors Python "
                  "package) or use a checkpoint written by frond");
    if (shape->kind != Json::Array || shape->items.size() > 16)
      return fail(where + ": shape is not a list of at most 16 dimensions", corruptFix);
    uint64_t count = 1;
    for (auto &d : shape->items) {
      int64_t s;
      if (!asIndex(d, s))
        return fail(where + ": shape has a dimension that is not a non-negative integer",
                    corruptFix);
      t.shape.push_back(s);
      if (s != 0 && count > (uint64_t(1) << 40) / uint64_t(s))
        return fail(where + ": shape " + shapeStr(t.shape) + " is implausibly large", corruptFix);
      count *= uint64_t(s);
    }
    int64_t b, e;
    if (offsets->kind != Json::Array || offsets->items.size() != 2 ||
        !asIndex(offsets->items[0], b) || !asIndex(offsets->items[1], e) || b > e)
      return fail(where + ": data_offsets is not [begin, end] with begin <= end", corruptFix);
    uint64_t want = count * elementSize(t.dtype);
    if (uint64_t(e - b) != want)
      return fail(where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                      "] hold " + std::to_string(e - b) + " bytes, but " + dtype->s +
                      shapeStr(t.shape) + " needs " + std::to_string(want),
                  corruptFix);
    if (uint64_t(e) > dataSize)
      return fail("truncated: " + where + " ends at byte " + std::to_string(e) +
                      " of the data, but the file holds only " + std::to_string(dataSize) +
                      " data bytes",
                  "; fix: the write was cut short: use an earlier checkpoint");
    t = Tensor::zeros(t.dtype, std::move(t.shape));
    if (count)
      std::memcpy(t.data(), data + b, size_t(want));
    ranges.push_back({{b, e}, key});
    out[key] = std::move(t);
  }
  std::sort(ranges.begin(), ranges.end());
  int64_t at = 0;
  for (auto &[r, key] : ranges) {
    if (r.first != at)
      return fail(std::string(r.first < at ? "corrupt: tensor '" + key + "' overlaps another"
                                           : "corrupt: a hole in the data before tensor '" +
                                                 key + "'"),
                  corruptFix);
    at = r.second;
  }
  if (uint64_t(at) != dataSize)
    return fail("corrupt: " + std::to_string(dataSize - uint64_t(at)) +
                    " bytes after the last tensor's data",
                corruptFix);
  tensors = std::move(out);
  metadata = std::move(meta);
  return true;
}

// --- files ---------------------------------------------------------------------

bool frond::runtime::writeFileAtomic(const std::string &path, const std::string &bytes,
                                     std::string &error) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::random_device rd;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08x", int(::getpid()), unsigned(rd()));
  std::string tmp = dir + "/." + base + suffix;
  auto sysFail = [&](const std::string &what) {
    error = path + ": cannot " + what + ": " + std::strerror(errno) +
            "; fix: check that the directory exists, is writable and the disk has space";
    ::unlink(tmp.c_str());
    return false;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = path + ": cannot create the temporary file " + tmp + ": " + std::strerror(errno) +
            "; fix: check that the directory exists and is writable";
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      ::close(fd);
      return sysFail("write");
    }
    done += size_t(w);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return sysFail("fsync");
  }
  if (::close(fd) != 0)
    return sysFail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return sysFail("rename the temporary file over it");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

const char *frond::runtime::safetensorsDType(DType t) {
  return t == DType::F32 ? "F32" : t == DType::F64 ? "F64" : "I64";
}

bool frond::runtime::writeSafetensors(const std::string &path,
                                      const std::map<std::string, Tensor> &tensors,
                                      const std::map<std::string, std::string> &metadata,
                                      std::string &error) {
  for (auto &[name, t] : tensors) {
    size_t have = t.stored();
    if (int64_t(have) != t.numel()) {
      error = path + ": tensor '" + name + "' has " + std::to_string(have) +
              " elements but shape " + t.shapeStr() + "; nothing was written";
      return false;
    }
  }
  return writeFileAtomic(path, encodeSafetensors(tensors, metadata), error);
}

bool frond::runtime::readSafetensors(const std::string &path,
                                     std::map<std::string, Tensor> &tensors,
                                     std::map<std::string, std::string> &metadata,
                                     std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno) +
            "; fix: check the checkpoint path (a checkpoint directory holds model.safetensors "
            "and optimizer.safetensors)";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  return decodeSafetensors(ss.str(), path, tensors, metadata, error);
}
