//===- Numerics.cpp - the libtorch reference for `frond check --numerics` -===//
#include "Numerics.h"

#include "frond/reference/Reference.h"

namespace frond::numerics {

static at::Tensor toAten(const runtime::Tensor &t) {
  if (t.dtype == runtime::DType::F32)
    return at::from_blob(const_cast<float *>(t.f32.data()), t.shape, at::kFloat).clone();
  if (t.dtype == runtime::DType::F64)
    return at::from_blob(const_cast<double *>(t.f64.data()), t.shape, at::kDouble).clone();
  return at::from_blob(const_cast<int64_t *>(t.i64.data()), t.shape, at::kLong).clone();
}

static runtime::Tensor fromAten(const at::Tensor &in) {
  runtime::Tensor t;
  t.shape.assign(in.sizes().begin(), in.sizes().end());
  if (at::isFloatingType(in.scalar_type())) {
    at::Tensor c = in.detach().to(at::kFloat).contiguous();
    t.dtype = runtime::DType::F32;
    t.f32.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  } else {
    at::Tensor c = in.detach().to(at::kLong).contiguous();
    t.dtype = runtime::DType::I64;
    t.i64.assign(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  }
  return t;
}

static std::map<std::string, at::Tensor>
toAten(const std::map<std::string, runtime::Tensor> &inputs) {
  std::map<std::string, at::Tensor> in;
  for (auto &[name, t] : inputs)
    in[name] = toAten(t);
  return in;
}

bool runReference(const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                  double initStd,
                  const std::map<std::string, runtime::Tensor> &inputs,
                  std::map<std::string, runtime::Tensor> &outputs,
                  std::map<std::string, runtime::Tensor> &params,
                  std::map<std::string, runtime::Tensor> &outputs64,
                  DiagEngine &diags) {
  reference::ParamStore store = reference::initParams(m, seed, initStd);
  for (auto &[path, t] : store.tensors)
    params[path] = fromAten(t);
  std::map<std::string, at::Tensor> in = toAten(inputs);
  at::NoGradGuard noGrad;
  reference::Outputs out = reference::runReference(g, in, store, diags);
  if (out.empty())
    return false;
  for (auto &[name, t] : out)
    outputs[name] = fromAten(t);
  reference::Outputs out64 = reference::runReference(g, in, store, diags, /*fp64=*/true);
  if (out64.empty())
    return false;
  for (auto &[name, t] : out64)
    outputs64[name] = fromAten(t);
  return true;
}

/// at::kBFloat16 for "bf16", at::kHalf for "f16", else at::kFloat.
static at::ScalarType attentionTypeOf(const std::string &tiles) {
  return tiles == "bf16" ? at::kBFloat16 : tiles == "f16" ? at::kHalf : at::kFloat;
}

bool referenceInTiles(const std::string &attentionTiles, const std::string &matmulTiles,
                      const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                      double initStd, const std::map<std::string, runtime::Tensor> &inputs,
                      std::map<std::string, runtime::Tensor> &outputs, DiagEngine &diags) {
  reference::ParamStore store = reference::initParams(m, seed, initStd);
  at::NoGradGuard noGrad;
  reference::Outputs out =
      reference::runReference(g, toAten(inputs), store, diags, /*fp64=*/false,
                              attentionTypeOf(attentionTiles), matmulTiles);
  for (auto &[name, t] : out)
    outputs[name] = fromAten(t);
  return !out.empty();
}

bool referenceGradients(const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                        double initStd, const std::map<std::string, runtime::Tensor> &inputs,
                        const std::string &loss, std::map<std::string, runtime::Tensor> &grads,
                        DiagEngine &diags, bool fp64, const std::string &attentionTiles,
                        const std::string &matmulTiles) {
  reference::ParamStore store = reference::initParams(m, seed, initStd, /*requiresGrad=*/true);
  reference::Outputs out = reference::runReference(g, toAten(inputs), store, diags, fp64,
                                                   attentionTypeOf(attentionTiles), matmulTiles);
  auto it = out.find(loss);
  if (it == out.end())
    return false;
  it->second.backward();
  // Autograd leaves the gradient of a parameter the loss does not reach
  // undefined: it is zero.
  for (const ParamInfo &p : m.params) {
    at::Tensor t = store.get(p.path);
    if (p.trainable && t.defined())
      grads[p.path] = fromAten(t.grad().defined() ? t.grad() : at::zeros_like(t));
  }
  return true;
}

} // namespace frond::numerics
