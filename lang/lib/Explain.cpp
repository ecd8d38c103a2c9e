//===- Explain.cpp - the resolved model as text (`frond explain`) --------===//
#include "frond/lang/Sema.h"

#include "llvm/ADT/StringExtras.h"

#include <iomanip>
#include <sstream>

using namespace frond;

/// 1234567 -> "1,234,567"
static std::string grouped(long long n) {
  std::string s = std::to_string(n), out;
  int k = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (k && k % 3 == 0 && *it != '-')
      out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++k;
  }
  return out;
}

/// The parameter's owner: its path without the tensor name and with layer
/// indices collapsed ("layer.0.attention.wq" -> "layer.*.attention").
static std::string owner(const std::string &path) {
  std::string p = path.substr(0, path.rfind('.'));
  std::string out;
  for (auto part : llvm::split(p, '.')) {
    std::string s = llvm::all_of(part, llvm::isDigit) && !part.empty() ? "*" : part.str();
    out += (out.empty() ? "" : ".") + s;
  }
  return out;
}

std::string frond::explainText(const ExperimentInstance &e) {
  const ModelInstance &m = e.model;
  std::ostringstream os;
  if (e.modelOnly)
    os << "model " << e.name << " (no experiment in this file: its parameters' defaults)";
  else
    os << "experiment " << e.name;
  if (!e.variant.empty())
    os << " (variant " << e.variant << ")";
  os << "\n";
  os << "model " << m.name << "(";
  for (size_t i = 0; i < m.args.size(); ++i)
    os << (i ? ", " : "") << m.args[i].first << " = " << m.args[i].second.str();
  os << ")\n";

  os << "\ninputs:\n";
  for (auto &in : m.inputs)
    os << "  " << std::left << std::setw(12) << in.name << shapeStr(in.shape) << " "
       << in.type << "\n";

  if (!m.recursion.empty()) {
    os << "\nstructure:\n";
    for (auto &r : m.recursion)
      os << "  " << r << "\n";
  }

  if (!m.attentions.empty()) {
    os << "\nattention:\n";
    for (auto &a : m.attentions) {
      os << "  " << a.path << ": " << (a.kvSource.empty() ? "" : "partial ") << a.kind
         << ", heads " << a.heads;
      if (a.kvHeads != a.heads)
        os << " (kv " << a.kvHeads << ")";
      os << " x " << a.headDim;
      if (!a.mask.empty()) os << ", mask " << a.mask;
      if (!a.score.empty()) os << ", score " << a.score;
      if (!a.pos.empty()) os << ", pos " << a.pos;
      if (!a.kvSource.empty()) os << ", K/V from source " << a.kvSource;
      if (a.qkNorm) os << ", qk-norm";
      for (auto &f : a.flags) os << ", " << f;
      os << "\n";
    }
  }

  // Named values (`as name`) with their shapes, layer indices collapsed.
  if (!m.points.empty()) {
    os << "\nnamed values:\n";
    std::vector<std::string> seen;
    for (auto &p : m.points) {
      std::string path = p.substr(0, p.find(' ')), shape = p.substr(p.find(' ') + 1);
      std::string collapsed = owner(path + ".x");
      std::string line = collapsed + " " + shape;
      if (std::find(seen.begin(), seen.end(), line) != seen.end())
        continue;
      seen.push_back(line);
      os << "  " << std::left << std::setw(40) << collapsed << shape << "\n";
    }
  }

  // Components: parameters grouped by owner, in order of first appearance.
  os << "\ncomponents:\n";
  std::vector<std::string> order;
  std::map<std::string, long long> count, trainable, tensors;
  std::map<std::string, std::string> kind;
  for (auto &p : m.params) {
    std::string o = owner(p.path);
    if (!count.count(o))
      order.push_back(o);
    count[o] += p.count;
    trainable[o] += p.trainable ? p.count : 0;
    tensors[o] += 1;
    kind[o] = p.component + (p.tiedTo.empty() ? "" : " (tied to " + owner(p.tiedTo) + ")");
  }
  size_t nameWidth = 40;
  for (auto &o : order)
    nameWidth = std::max(nameWidth, o.size() + 2);
  os << "  " << std::left << std::setw(nameWidth) << "name" << std::setw(28) << "kind"
     << std::right << std::setw(12) << "params" << "  trainable\n";
  for (auto &o : order) {
    std::string t = trainable[o] == count[o] ? "yes" : trainable[o] == 0 ? "no" : "partly";
    if (count[o] == 0)
      t = "-";
    os << "  " << std::left << std::setw(nameWidth) << o << std::setw(28) << kind[o] << std::right
       << std::setw(12) << grouped(count[o]) << "  " << t << "\n";
  }

  std::map<std::string, long long> byKind;
  for (auto &p : m.params)
    byKind[p.component] += p.count;
  os << "\nparameters by kind:\n";
  for (auto &[k, n] : byKind)
    os << "  " << std::left << std::setw(20) << k << std::right << std::setw(12) << grouped(n)
       << "\n";
  long long total = m.totalParams(), train = m.trainableParams();
  os << "  " << std::left << std::setw(20) << "total" << std::right << std::setw(12)
     << grouped(total) << "  (trainable " << grouped(train) << ", frozen "
     << grouped(total - train) << ")\n";

  os << "\nheads:\n";
  for (auto &h : m.heads) {
    os << "  " << h.name << " " << shapeStr(h.shape);
    if (!h.tiedTo.empty()) os << ", tied to " << h.tiedTo;
    if (!h.initFrom.empty()) os << ", initialised from " << h.initFrom;
    os << "\n";
  }
  os << "\nlosses:\n";
  bool hasTotal = false;
  std::vector<std::string> named;
  for (auto &l : m.losses) {
    os << "  " << (l.name.empty() ? "total" : l.name) << " = " << l.expr << "\n";
    hasTotal |= l.name.empty();
    if (!l.name.empty())
      named.push_back(l.name);
  }
  if (!hasTotal && named.size() > 1)
    os << "  total = " << llvm::join(named, " + ") << " (sum of named losses)\n";
  if (!m.caches.empty())
    os << "\ncaches: " << llvm::join(m.caches, ", ") << "\n";
  if (!m.adapters.empty()) {
    os << "\nadapters:\n";
    for (auto &a : m.adapters)
      os << "  " << a << "\n";
  }
  if (!e.settings.empty()) {
    os << "\nsettings:\n";
    for (auto &[k, v] : e.settings)
      os << "  " << k << " = " << v << "\n";
  }
  if (!e.evals.empty())
    os << "\nevaluation: " << llvm::join(e.evals, ", ") << "\n";
  if (!e.variants.empty())
    os << "variants: " << llvm::join(e.variants, ", ") << "\n";
  for (auto &s : e.sweeps)
    os << "sweep: " << s << "\n";
  if (e.seeds > 1)
    os << "seeds: " << e.seeds << "\n";
  return os.str();
}
