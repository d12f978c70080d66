// qnmt native kernels: an N-API addon over oneDNN (Debian libdnnl, OpenMP runtime).
//
// GEMM: C = A · Wᵀ with W (n, k) row-major, as src/tensor/kernels.ts specifies. Weights are reordered
// once into the blocked layout oneDNN's brgemm matmul picks (`format_tag::any`); that layout was
// measured to be independent of m, so one packed copy serves every batch size. Matmul primitives are
// created per m (decoder batches shrink during beam search) and cached on the packed handle.
//
// Elementwise kernels (LSTM cell, quantize, requantize) are plain loops that GCC vectorises. This file
// is compiled with -ffp-contract=off: the quantization formulas must round after every float32
// operation exactly like JavaScript's Math.fround, and a fused multiply-add would skip a rounding.
//
// Only call from the thread that loaded the addon (JavaScript main thread); oneDNN parallelises inside.
#define NAPI_VERSION 8  // type-tagged externals; stable Node-API (Node >= 12.22 / 14.17 / 15.12)
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using dnnl::matmul;
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Runtime {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // Set by setSplitU8(true) when the CPU's u8×s8 kernels saturate 16-bit pair sums (AVX2 without VNNI:
  // vpmaddubsw). Products are then exact only for 7-bit activations, so every u8 product is computed
  // as (A & 127)·W + 128·((A >> 7)·W): two exact GEMMs whose sum is the exact product.
  bool splitU8 = false;
  std::vector<uint8_t> lowBits, highBit;
  std::vector<int32_t> highProduct;
};
Runtime *runtime = nullptr;  // created by init(); lives until process exit

// ---------------------------------------------------------------------------------------------------
// N-API helpers

struct JsError {
  std::string message;
  bool range;
};

[[noreturn]] void fail(const std::string &message, bool range = false) { throw JsError{message, range}; }

void check(napi_env env, napi_status status, const char *what) {
  if (status != napi_ok) fail(std::string("N-API call failed: ") + what);
  (void)env;
}

struct Args {
  static constexpr size_t kMax = 16;
  napi_value argv[kMax];
  size_t argc = kMax;
};

Args getArgs(napi_env env, napi_callback_info info, size_t expected) {
  Args a;
  check(env, napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr), "get_cb_info");
  if (expected > Args::kMax) fail("internal: too many arguments expected");
  if (a.argc < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(a.argc));
  return a;
}

template <typename T>
struct View {
  T *data;
  size_t length;
};

template <typename T>
View<T> typedArray(napi_env env, napi_value v, napi_typedarray_type want, const char *what) {
  bool is = false;
  check(env, napi_is_typedarray(env, v, &is), "is_typedarray");
  napi_typedarray_type type;
  size_t length = 0;
  void *data = nullptr;
  if (is) check(env, napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), "typedarray_info");
  if (!is || type != want) fail(std::string(what) + ": wrong typed array type", false);
  return {static_cast<T *>(data), length};
}

bool isNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  check(env, napi_typeof(env, v, &t), "typeof");
  return t == napi_undefined || t == napi_null;
}

int64_t intArg(napi_env env, napi_value v, const char *what) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d != std::floor(d) || d > 9.0e15)
    fail(std::string(what) + ": expected a non-negative integer", true);
  return static_cast<int64_t>(d);
}

double numArg(napi_env env, napi_value v, const char *what) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) fail(std::string(what) + ": expected a number");
  return d;
}

void requireLength(const char *what, size_t have, int64_t need) {
  if (static_cast<int64_t>(have) < need)
    fail(std::string(what) + ": array length " + std::to_string(have) + " is smaller than the required " +
             std::to_string(need) + ".",
         true);
}

template <typename F>
napi_value guarded(napi_env env, F &&body) {
  try {
    return body();
  } catch (const JsError &e) {
    if (e.range)
      napi_throw_range_error(env, nullptr, e.message.c_str());
    else
      napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const dnnl::error &e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// ---------------------------------------------------------------------------------------------------
// Packed weights and cached primitives

struct Entry {
  matmul prim;
  memory src, dst, bias;
};

struct Packed {
  int64_t n, k;
  dt srcType, weiType, dstType;
  memory weights;  // oneDNN-owned buffer in the blocked layout
  std::unordered_map<int64_t, Entry> cache;  // key: (m · 2 + hasBias) · 256 + threads
};

// Enough for the distinct batch sizes of a decoding run; beyond it an arbitrary entry is dropped (the
// kernels themselves stay in oneDNN's global primitive cache, so re-creating an entry is cheap).
constexpr size_t kMaxCachedShapes = 64;

const napi_type_tag kPackedTag = {0x716e6d74'6f6e6564ULL, 0x6e6e7061'636b6564ULL};

memory::desc plainWeights(const Packed &p) { return memory::desc({p.k, p.n}, p.weiType, tag::ba); }

matmul::primitive_desc makePd(const Packed &p, int64_t m, bool withBias, const memory::desc &weights) {
  memory::desc src({m, p.k}, p.srcType, tag::ab), dst({m, p.n}, p.dstType, tag::ab);
  if (withBias) {
    memory::desc bias({1, p.n}, dt::f32, tag::ab);
    return matmul::primitive_desc(matmul::desc(src, weights, bias, dst), runtime->engine);
  }
  return matmul::primitive_desc(matmul::desc(src, weights, dst), runtime->engine);
}

napi_value pack(napi_env env, napi_callback_info info, bool isFloat) {
  return guarded(env, [&]() -> napi_value {
    if (!runtime) fail("native kernels used before init()");
    Args a = getArgs(env, info, 3);
    int64_t n = intArg(env, a.argv[1], "n"), k = intArg(env, a.argv[2], "k");
    auto p = std::make_unique<Packed>();
    p->n = n;
    p->k = k;
    p->srcType = isFloat ? dt::f32 : dt::u8;
    p->weiType = isFloat ? dt::f32 : dt::s8;
    p->dstType = isFloat ? dt::f32 : dt::s32;
    void *data;
    size_t length;
    if (isFloat) {
      auto v = typedArray<float>(env, a.argv[0], napi_float32_array, "packF32 weights");
      data = v.data;
      length = v.length;
    } else {
      auto v = typedArray<int8_t>(env, a.argv[0], napi_int8_array, "packS8 weights");
      data = v.data;
      length = v.length;
    }
    requireLength(isFloat ? "packF32" : "packS8", length, n * k);
    if (n > 0 && k > 0) {
      // The layout brgemm chooses for `any` weights does not depend on m (checked for m = 1..5000 on
      // the shapes of this project); 64 is just a representative batch.
      auto pd = makePd(*p, 64, false, memory::desc({k, n}, p->weiType, tag::any));
      p->weights = memory(pd.weights_desc(), runtime->engine);
      memory user(plainWeights(*p), runtime->engine, data);
      dnnl::reorder(user, p->weights).execute(runtime->stream, user, p->weights);
      runtime->stream.wait();
    }
    napi_value ext;
    check(env,
          napi_create_external(
              env, p.get(), [](napi_env, void *d, void *) { delete static_cast<Packed *>(d); }, nullptr, &ext),
          "create_external");
    p.release();
    check(env, napi_type_tag_object(env, ext, &kPackedTag), "type_tag");
    return ext;
  });
}

Packed *unwrapPacked(napi_env env, napi_value v, bool isFloat) {
  bool ok = false;
  napi_valuetype t;
  check(env, napi_typeof(env, v, &t), "typeof");
  if (t == napi_external) check(env, napi_check_object_type_tag(env, v, &kPackedTag, &ok), "check_tag");
  if (!ok) fail("not a packed weight handle of the native backend");
  void *d;
  check(env, napi_get_value_external(env, v, &d), "get_external");
  auto *p = static_cast<Packed *>(d);
  if ((p->weiType == dt::f32) != isFloat) fail(isFloat ? "expected f32 packed weights" : "expected s8 packed weights");
  return p;
}

Entry &entryFor(Packed &p, int64_t m, bool withBias) {
  // oneDNN splits the work when the primitive is created, so the thread count is part of the key.
  int64_t key = (m * 2 + (withBias ? 1 : 0)) * 256 + (omp_get_max_threads() & 255);
  auto it = p.cache.find(key);
  if (it != p.cache.end()) return it->second;
  if (p.cache.size() >= kMaxCachedShapes) p.cache.erase(p.cache.begin());
  auto pd = makePd(p, m, withBias, p.weights.get_desc());
  const char *impl = pd.impl_info_str();
  if (std::strncmp(impl, "ref", 3) == 0)
    fail(std::string("oneDNN chose the slow reference implementation (") + impl + ") for m=" + std::to_string(m));
  Entry e{matmul(pd), memory(pd.src_desc(), runtime->engine, nullptr), memory(pd.dst_desc(), runtime->engine, nullptr),
          withBias ? memory(pd.bias_desc(), runtime->engine, nullptr) : memory()};
  return p.cache.emplace(key, std::move(e)).first->second;
}

template <typename TC>
void fillRows(TC *c, int64_t m, int64_t n, const float *bias) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) c[i * n + j] = bias ? static_cast<TC>(bias[j]) : TC(0);
}

// Exact u8×s8 on CPUs whose kernels saturate 16-bit pair sums (see Runtime::splitU8): the 7 low bits
// and the top bit of A are multiplied separately; the top-bit GEMM is skipped when no code reaches 128.
template <typename Run>
void gemmU8Split(const uint8_t *a, int64_t m, const Packed &p, int32_t *c, Run &run) {
  const int64_t mk = m * p.k, mn = m * p.n;
  auto &lo = runtime->lowBits, &hi = runtime->highBit;
  if (static_cast<int64_t>(lo.size()) < mk) {
    lo.resize(mk);
    hi.resize(mk);
  }
  int anyHigh = 0;
#pragma omp parallel for reduction(| : anyHigh) schedule(static)
  for (int64_t i = 0; i < mk; i++) {
    lo[i] = a[i] & 127;
    hi[i] = a[i] >> 7;
    anyHigh |= hi[i];
  }
  run(lo.data(), c);
  if (!anyHigh) return;
  auto &hp = runtime->highProduct;
  if (static_cast<int64_t>(hp.size()) < mn) hp.resize(mn);
  run(hi.data(), hp.data());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < mn; i++) c[i] = static_cast<int32_t>(static_cast<uint32_t>(c[i]) + (static_cast<uint32_t>(hp[i]) << 7));
}

napi_value gemm(napi_env env, napi_callback_info info, bool isFloat) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 4);
    int64_t m = intArg(env, a.argv[1], "m");
    Packed *p = unwrapPacked(env, a.argv[2], isFloat);
    void *aData, *cData;
    const float *bias = nullptr;
    if (isFloat) {
      auto av = typedArray<float>(env, a.argv[0], napi_float32_array, "gemmF32 A");
      auto cv = typedArray<float>(env, a.argv[3], napi_float32_array, "gemmF32 C");
      requireLength("gemmF32 A", av.length, m * p->k);
      requireLength("gemmF32 C", cv.length, m * p->n);
      aData = av.data;
      cData = cv.data;
      if (a.argc > 4 && !isNullish(env, a.argv[4])) {
        auto bv = typedArray<float>(env, a.argv[4], napi_float32_array, "gemmF32 bias");
        requireLength("gemmF32 bias", bv.length, p->n);
        bias = bv.data;
      }
    } else {
      auto av = typedArray<uint8_t>(env, a.argv[0], napi_uint8_array, "gemmU8S8S32 A");
      auto cv = typedArray<int32_t>(env, a.argv[3], napi_int32_array, "gemmU8S8S32 C");
      requireLength("gemmU8S8S32 A", av.length, m * p->k);
      requireLength("gemmU8S8S32 C", cv.length, m * p->n);
      aData = av.data;
      cData = cv.data;
    }
    if (m == 0 || p->n == 0) return undefinedValue(env);
    if (p->k == 0) {
      if (isFloat)
        fillRows(static_cast<float *>(cData), m, p->n, bias);
      else
        fillRows(static_cast<int32_t *>(cData), m, p->n, nullptr);
      return undefinedValue(env);
    }
    Entry &e = entryFor(*p, m, bias != nullptr);
    auto run = [&](void *src, void *dst) {
      e.src.set_data_handle(src);
      e.dst.set_data_handle(dst);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.src}, {DNNL_ARG_WEIGHTS, p->weights}, {DNNL_ARG_DST, e.dst}};
      if (bias) {
        e.bias.set_data_handle(const_cast<float *>(bias));
        args.emplace(DNNL_ARG_BIAS, e.bias);
      }
      e.prim.execute(runtime->stream, args);
      runtime->stream.wait();
    };
    if (isFloat || !runtime->splitU8) {
      run(aData, cData);
    } else {
      gemmU8Split(static_cast<const uint8_t *>(aData), m, *p, static_cast<int32_t *>(cData), run);
    }
    return undefinedValue(env);
  });
}

napi_value PackF32(napi_env env, napi_callback_info info) { return pack(env, info, true); }
napi_value PackS8(napi_env env, napi_callback_info info) { return pack(env, info, false); }
napi_value GemmF32(napi_env env, napi_callback_info info) { return gemm(env, info, true); }
napi_value GemmU8S8S32(napi_env env, napi_callback_info info) { return gemm(env, info, false); }

// ---------------------------------------------------------------------------------------------------
// Elementwise kernels

// exp for float32, Cephes-style range reduction and polynomial (≈ 2 ulp), written so GCC vectorises it.
inline float expApprox(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float magic = 12582912.0f;  // 1.5·2^23: adding and subtracting it rounds to an integer
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

inline float sigmoidApprox(float x) { return 1.0f / (1.0f + expApprox(-x)); }

// tanh: Cephes' odd polynomial for |x| < 0.625, else sign(x)·(1 − 2/(e^{2|x|} + 1)); both are computed
// and one is selected, which keeps the loop vectorisable. Relative error ≈ 2e-7 over the whole range.
inline float tanhApprox(float x) {
  float ax = x < 0 ? -x : x;
  float big = 1.0f - 2.0f / (expApprox(2.0f * ax) + 1.0f);
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * ax + ax;
  float t = ax < 0.625f ? small : big;
  return x < 0 ? -t : t;
}

// Rows are independent; two threads pay off from a few hundred thousand elements on.
constexpr int64_t kParallelElements = 1 << 15;

// One row of the LSTM cell. Inputs are copied in blocks into local arrays so that the arithmetic loop
// has a fixed trip count and no possible aliasing (cOut may be cPrev): GCC then vectorises it fully.
template <bool kHasGh, bool kHasC>
void lstmRow(int64_t h, const float *zx, const float *zh, const float *cp, float *ho, float *co) {
  constexpr int64_t kBlock = 64;
  alignas(64) float zi[kBlock], zf[kBlock], zg[kBlock], zo[kBlock], cb[kBlock], hb[kBlock];
  for (int64_t j0 = 0; j0 < h; j0 += kBlock) {
    const int64_t len = h - j0 < kBlock ? h - j0 : kBlock;
    for (int64_t t = 0; t < len; t++) {
      const int64_t j = j0 + t;
      zi[t] = zx[j] + (kHasGh ? zh[j] : 0.0f);
      zf[t] = zx[h + j] + (kHasGh ? zh[h + j] : 0.0f);
      zg[t] = zx[2 * h + j] + (kHasGh ? zh[2 * h + j] : 0.0f);
      zo[t] = zx[3 * h + j] + (kHasGh ? zh[3 * h + j] : 0.0f);
      cb[t] = kHasC ? cp[j] : 0.0f;
    }
    for (int64_t t = len; t < kBlock; t++) zi[t] = zf[t] = zg[t] = zo[t] = cb[t] = 0.0f;
    for (int64_t t = 0; t < kBlock; t++) {
      float c = sigmoidApprox(zi[t]) * tanhApprox(zg[t]);
      if (kHasC) c = sigmoidApprox(zf[t]) * cb[t] + c;
      cb[t] = c;
      hb[t] = sigmoidApprox(zo[t]) * tanhApprox(c);
    }
    for (int64_t t = 0; t < len; t++) {
      co[j0 + t] = cb[t];
      ho[j0 + t] = hb[t];
    }
  }
}

napi_value LstmCellF32(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 7);
    int64_t m = intArg(env, a.argv[0], "m"), h = intArg(env, a.argv[1], "hidden");
    auto gx = typedArray<float>(env, a.argv[2], napi_float32_array, "lstmCellF32 gatesX");
    requireLength("lstmCellF32 gatesX", gx.length, m * 4 * h);
    const float *gh = nullptr;
    if (!isNullish(env, a.argv[3])) {
      auto v = typedArray<float>(env, a.argv[3], napi_float32_array, "lstmCellF32 gatesH");
      requireLength("lstmCellF32 gatesH", v.length, m * 4 * h);
      gh = v.data;
    }
    const float *cPrev = nullptr;
    if (!isNullish(env, a.argv[4])) {
      auto v = typedArray<float>(env, a.argv[4], napi_float32_array, "lstmCellF32 cPrev");
      requireLength("lstmCellF32 cPrev", v.length, m * h);
      cPrev = v.data;
    }
    auto hOut = typedArray<float>(env, a.argv[5], napi_float32_array, "lstmCellF32 hOut");
    auto cOut = typedArray<float>(env, a.argv[6], napi_float32_array, "lstmCellF32 cOut");
    requireLength("lstmCellF32 hOut", hOut.length, m * h);
    requireLength("lstmCellF32 cOut", cOut.length, m * h);
    const float *gxd = gx.data;
    float *hd = hOut.data, *cd = cOut.data;
    auto step = gh ? (cPrev ? lstmRow<true, true> : lstmRow<true, false>)
                   : (cPrev ? lstmRow<false, true> : lstmRow<false, false>);
#pragma omp parallel for schedule(static) if (m * h >= kParallelElements && m > 1)
    for (int64_t r = 0; r < m; r++) step(h, gxd + r * 4 * h, gh ? gh + r * 4 * h : nullptr, cPrev ? cPrev + r * h : nullptr,
                                         hd + r * h, cd + r * h);
    return undefinedValue(env);
  });
}

// Round half to even for |t| < 2^22 (callers clamp first), in the default rounding mode.
inline float roundHalfEven(float t) {
  const float magic = 12582912.0f;
  return (t + magic) - magic;
}

// out[i] = clamp(roundHalfEven(f32(f32(scale·x[i]) − zeroPoint)), lo, hi) + offset
napi_value QuantizeU8(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 8);
    auto x = typedArray<float>(env, a.argv[0], napi_float32_array, "quantizeU8 x");
    int64_t count = intArg(env, a.argv[1], "count");
    float scale = static_cast<float>(numArg(env, a.argv[2], "scale"));
    float zp = static_cast<float>(numArg(env, a.argv[3], "zeroPoint"));
    double lo = numArg(env, a.argv[4], "lo"), hi = numArg(env, a.argv[5], "hi"), off = numArg(env, a.argv[6], "offset");
    auto out = typedArray<uint8_t>(env, a.argv[7], napi_uint8_array, "quantizeU8 out");
    requireLength("quantizeU8 x", x.length, count);
    requireLength("quantizeU8 out", out.length, count);
    if (lo != std::floor(lo) || hi != std::floor(hi) || off != std::floor(off) || lo > hi || lo + off < 0 ||
        hi + off > 255)
      fail("quantizeU8: need integers lo <= hi with 0 <= lo + offset and hi + offset <= 255", true);
    const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
    const int32_t ioff = static_cast<int32_t>(off);
    const float *xd = x.data;
    uint8_t *od = out.data;
#pragma omp parallel for schedule(static) if (count >= 4 * kParallelElements)
    for (int64_t i = 0; i < count; i++) {
      float t = scale * xd[i];
      t = t - zp;
      t = t < flo ? flo : t;  // clamping before rounding gives the same result and keeps |t| small
      t = t > fhi ? fhi : t;
      od[i] = static_cast<uint8_t>(static_cast<int32_t>(roundHalfEven(t)) + ioff);
    }
    return undefinedValue(env);
  });
}

// Requantize int32 accumulators and dequantize in one pass (Distiller Linear output, quantization.md §6.2):
//   A = clamp_int32(acc[i,j] + add[j] + rowTerm[i]·colMul[j])   (exact, in int64)
//   q = clamp(roundHalfEven(f32(f32(factor[j]·f32(A)) − zOut)), lo, hi)
//   out[i,j] = f32(f32(q + zOut) / sOut)
napi_value RequantizeF32(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 12);
    auto acc = typedArray<int32_t>(env, a.argv[0], napi_int32_array, "requantizeF32 acc");
    int64_t m = intArg(env, a.argv[1], "m"), n = intArg(env, a.argv[2], "n");
    const int32_t *add = nullptr;
    if (!isNullish(env, a.argv[3])) {
      auto v = typedArray<int32_t>(env, a.argv[3], napi_int32_array, "requantizeF32 add");
      requireLength("requantizeF32 add", v.length, n);
      add = v.data;
    }
    const int32_t *rowTerm = nullptr, *colMul = nullptr;
    if (!isNullish(env, a.argv[4]) || !isNullish(env, a.argv[5])) {
      auto r = typedArray<int32_t>(env, a.argv[4], napi_int32_array, "requantizeF32 rowTerm");
      auto c = typedArray<int32_t>(env, a.argv[5], napi_int32_array, "requantizeF32 colMul");
      requireLength("requantizeF32 rowTerm", r.length, m);
      requireLength("requantizeF32 colMul", c.length, n);
      rowTerm = r.data;
      colMul = c.data;
    }
    auto factor = typedArray<float>(env, a.argv[6], napi_float32_array, "requantizeF32 factor");
    if (factor.length != 1) requireLength("requantizeF32 factor", factor.length, n);
    float zOut = static_cast<float>(numArg(env, a.argv[7], "zOut"));
    double lo = numArg(env, a.argv[8], "lo"), hi = numArg(env, a.argv[9], "hi");
    float sOut = static_cast<float>(numArg(env, a.argv[10], "sOut"));
    auto out = typedArray<float>(env, a.argv[11], napi_float32_array, "requantizeF32 out");
    requireLength("requantizeF32 acc", acc.length, m * n);
    requireLength("requantizeF32 out", out.length, m * n);
    if (!(lo <= hi) || lo < -4194304 || hi > 4194304) fail("requantizeF32: need lo <= hi within ±2^22", true);
    const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
    const bool perColumn = factor.length != 1;
    const int32_t *ad = acc.data;
    const float *fd = factor.data;
    float *od = out.data;
#pragma omp parallel for schedule(static) if (m * n >= 4 * kParallelElements && m > 1)
    for (int64_t i = 0; i < m; i++) {
      for (int64_t j = 0; j < n; j++) {
        int64_t s = static_cast<int64_t>(ad[i * n + j]) + (add ? add[j] : 0) +
                    (rowTerm ? static_cast<int64_t>(rowTerm[i]) * colMul[j] : 0);
        s = s < INT32_MIN ? INT32_MIN : (s > INT32_MAX ? INT32_MAX : s);
        float t = (perColumn ? fd[j] : fd[0]) * static_cast<float>(static_cast<int32_t>(s));
        t = t - zOut;
        t = t < flo ? flo : t;
        t = t > fhi ? fhi : t;
        float q = roundHalfEven(t);
        od[i * n + j] = (q + zOut) / sOut;
      }
    }
    return undefinedValue(env);
  });
}

// ---------------------------------------------------------------------------------------------------
// Decoder-step kernels: fused attention and log-softmax + top-k (kernels.ts documents the semantics;
// the js reference versions in src/tensor/backends/js-ref.ts are the oracle). Rows are independent and
// split over the OpenMP pool. Where the js reference computes in float64 (score and softmax sums, the
// context accumulation, exp over the vocabulary) these do too, so the only difference is tanh (float32
// polynomial, ≈ 1 ulp).

constexpr float kMaskedScore = -65504.0f;  // float16 minimum, written over padded source positions

// Per-thread scratch that grows as needed (one per OpenMP thread, reused across calls).
struct Scratch {
  std::unique_ptr<float[]> f;
  std::unique_ptr<double[]> d;
  int64_t nf = 0, nd = 0;
  float *floats(int64_t n) {
    if (n > nf) {
      f.reset(new float[n]);
      nf = n;
    }
    return f.get();
  }
  double *doubles(int64_t n) {
    if (n > nd) {
      d.reset(new double[n]);
      nd = n;
    }
    return d.get();
  }
};
thread_local Scratch scratch;

// score = Σ_h f32(tanh(f32(f32(q[h] + k[h]) + bn[h]))) · a[h], products and sum in float64 (8 lanes,
// then a fixed-order reduction), rounded to float32 at the end.
inline float attentionScore(int64_t u, const float *q, const float *k, const float *bn, const float *a, float *t) {
  for (int64_t h = 0; h < u; h++) {
    float x = q[h] + k[h];
    t[h] = tanhApprox(x + bn[h]);
  }
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t h = 0;
  for (; h + 8 <= u; h += 8)
    for (int l = 0; l < 8; l++) lanes[l] += static_cast<double>(t[h + l]) * static_cast<double>(a[h + l]);
  double acc = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  for (; h < u; h++) acc += static_cast<double>(t[h]) * static_cast<double>(a[h]);
  return static_cast<float>(acc);
}

napi_value AttentionF32(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 13);
    int64_t rows = intArg(env, a.argv[0], "rows"), T = intArg(env, a.argv[1], "T");
    int64_t U = intArg(env, a.argv[2], "units"), H = intArg(env, a.argv[3], "hidden");
    auto q = typedArray<float>(env, a.argv[4], napi_float32_array, "attentionF32 query");
    auto k = typedArray<float>(env, a.argv[5], napi_float32_array, "attentionF32 keys");
    auto bn = typedArray<float>(env, a.argv[6], napi_float32_array, "attentionF32 bias");
    auto av = typedArray<float>(env, a.argv[7], napi_float32_array, "attentionF32 att");
    auto ctx = typedArray<float>(env, a.argv[8], napi_float32_array, "attentionF32 context");
    auto len = typedArray<int32_t>(env, a.argv[9], napi_int32_array, "attentionF32 lengths");
    auto rs = typedArray<int32_t>(env, a.argv[10], napi_int32_array, "attentionF32 rowSentence");
    auto probs = typedArray<float>(env, a.argv[11], napi_float32_array, "attentionF32 probs");
    auto out = typedArray<float>(env, a.argv[12], napi_float32_array, "attentionF32 out");
    const int64_t S = static_cast<int64_t>(len.length);
    requireLength("attentionF32 query", q.length, rows * U);
    requireLength("attentionF32 keys", k.length, S * T * U);
    requireLength("attentionF32 bias", bn.length, U);
    requireLength("attentionF32 att", av.length, U);
    requireLength("attentionF32 context", ctx.length, S * T * H);
    requireLength("attentionF32 rowSentence", rs.length, rows);
    requireLength("attentionF32 probs", probs.length, rows * T);
    requireLength("attentionF32 out", out.length, rows * H);
    for (int64_t r = 0; r < rows; r++)
      if (rs.data[r] < 0 || rs.data[r] >= S) fail("attentionF32: rowSentence out of range", true);
    for (int64_t s = 0; s < S; s++)
      if (len.data[s] < 0 || len.data[s] > T) fail("attentionF32: lengths must be within [0, T]", true);
    const float *qd = q.data, *kd = k.data, *bd = bn.data, *ad = av.data, *cd = ctx.data;
    const int32_t *ld = len.data, *rd = rs.data;
    float *pd = probs.data, *od = out.data;
#pragma omp parallel for schedule(dynamic, 8) if (rows * T * (U + H) >= kParallelElements && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
      const int64_t s = rd[r], n = ld[s];
      float *t = scratch.floats(U);
      double *e = scratch.doubles(T);
      float *p = pd + r * T;
      double max = -INFINITY;
      for (int64_t j = 0; j < n; j++) {
        float v = attentionScore(U, qd + r * U, kd + (s * T + j) * U, bd, ad, t);
        e[j] = v;
        if (v > max) max = v;
      }
      // Masked positions hold -65504: their exp underflows to exactly 0, so they only matter for the max.
      if (n < T && kMaskedScore > max) max = kMaskedScore;
      double sum = 0;
      for (int64_t j = 0; j < n; j++) {
        double x = std::exp(e[j] - max);
        e[j] = static_cast<float>(x);  // the op divides the float32 exponentials by the float64 sum
        sum += x;
      }
      for (int64_t j = 0; j < n; j++) p[j] = static_cast<float>(e[j] / sum);
      for (int64_t j = n; j < T; j++) p[j] = 0.0f;
      // context = Σ_j p[j]·keys[j]: each step f32(o + p·c) with the product exact in float64.
      float *o = od + r * H;
      for (int64_t h = 0; h < H; h++) o[h] = 0.0f;
      for (int64_t j = 0; j < n; j++) {
        const double pj = p[j];
        if (pj == 0) continue;
        const float *c = cd + (s * T + j) * H;
        for (int64_t h = 0; h < H; h++)
          o[h] = static_cast<float>(static_cast<double>(o[h]) + pj * static_cast<double>(c[h]));
      }
    }
    return undefinedValue(env);
  });
}

// exp for float64 arguments ≤ 0 (as in log-softmax after subtracting the max): range reduction by ln 2
// in two parts and a degree-13 Taylor polynomial with fused multiply-adds (relative error ≈ 2e-16).
// Vectorisable; results below 2^-1022 flush to 0, which cannot change a sum that includes exp(0) = 1.
inline double expNonPositive(double x) {
  x = x < -708.0 ? -708.0 : x;
  const double magic = 6755399441055744.0;  // 1.5·2^52
  double n = (x * 1.4426950408889634 + magic) - magic;
  double r = __builtin_fma(n, -6.93147180369123816490e-01, x);
  r = __builtin_fma(n, -1.90821492927058770002e-10, r);
  double p = 1.0 / 6227020800.0;
  p = __builtin_fma(p, r, 1.0 / 479001600.0);
  p = __builtin_fma(p, r, 1.0 / 39916800.0);
  p = __builtin_fma(p, r, 1.0 / 3628800.0);
  p = __builtin_fma(p, r, 1.0 / 362880.0);
  p = __builtin_fma(p, r, 1.0 / 40320.0);
  p = __builtin_fma(p, r, 1.0 / 5040.0);
  p = __builtin_fma(p, r, 1.0 / 720.0);
  p = __builtin_fma(p, r, 1.0 / 120.0);
  p = __builtin_fma(p, r, 1.0 / 24.0);
  p = __builtin_fma(p, r, 1.0 / 6.0);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 1.0);
  int64_t bits = (static_cast<int64_t>(n) + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// One row: top-k of the logits (ties → lower id; values that do not beat the current k-th are skipped
// in blocks of 64 after a vectorised max), then lse = f32(log Σ exp(x − max)) and the k winners'
// log-probabilities, reordered so that equal float32 values keep the lower id first.
__attribute__((target("prefer-vector-width=512"))) void logSoftmaxTopKRow(const float *x, int64_t V, int64_t K, float *topV, int32_t *topI, int32_t *ids, float *lps) {
  int64_t filled = 0;
  constexpr int64_t kBlock = 64;
  for (int64_t j0 = 0; j0 < V; j0 += kBlock) {
    const int64_t end = j0 + kBlock < V ? j0 + kBlock : V;
    if (filled == K && end - j0 == kBlock) {
      float lm[16];
      for (int l = 0; l < 16; l++) lm[l] = x[j0 + l];
      for (int64_t b = 16; b < kBlock; b += 16)
        for (int l = 0; l < 16; l++) lm[l] = x[j0 + b + l] > lm[l] ? x[j0 + b + l] : lm[l];
      float bm = lm[0];
      for (int l = 1; l < 16; l++) bm = lm[l] > bm ? lm[l] : bm;
      if (!(bm > topV[K - 1])) continue;
    }
    for (int64_t j = j0; j < end; j++) {
      const float v = x[j];
      if (filled == K && !(v > topV[K - 1])) continue;
      int64_t p = filled < K ? filled++ : K - 1;
      while (p > 0 && v > topV[p - 1]) {
        topV[p] = topV[p - 1];
        topI[p] = topI[p - 1];
        p--;
      }
      topV[p] = v;
      topI[p] = static_cast<int32_t>(j);
    }
  }
  const float max = topV[0];
  const double dmax = max;
  // The sum's order (vector lanes) is the compiler's; in float64 that changes nothing after the
  // float32 rounding of the log.
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < V; j++) sum += expNonPositive(static_cast<double>(x[j]) - dmax);
  const float lse = static_cast<float>(std::log(sum));
  for (int64_t i = 0; i < filled; i++) {
    const float d = topV[i] - max;
    const float lp = d - lse;
    int64_t p = i;
    while (p > 0 && lp == lps[p - 1] && topI[i] < ids[p - 1]) {
      lps[p] = lps[p - 1];
      ids[p] = ids[p - 1];
      p--;
    }
    lps[p] = lp;
    ids[p] = topI[i];
  }
}

napi_value LogSoftmaxTopKF32(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 6);
    auto x = typedArray<float>(env, a.argv[0], napi_float32_array, "logSoftmaxTopKF32 logits");
    int64_t rows = intArg(env, a.argv[1], "rows"), V = intArg(env, a.argv[2], "vocab"), K = intArg(env, a.argv[3], "k");
    auto ids = typedArray<int32_t>(env, a.argv[4], napi_int32_array, "logSoftmaxTopKF32 ids");
    auto lps = typedArray<float>(env, a.argv[5], napi_float32_array, "logSoftmaxTopKF32 logprobs");
    if (K < 1 || K > V) fail("logSoftmaxTopKF32: need 1 <= k <= vocab", true);
    requireLength("logSoftmaxTopKF32 logits", x.length, rows * V);
    requireLength("logSoftmaxTopKF32 ids", ids.length, rows * K);
    requireLength("logSoftmaxTopKF32 logprobs", lps.length, rows * K);
    const float *xd = x.data;
    int32_t *id = ids.data;
    float *ld = lps.data;
#pragma omp parallel for schedule(static) if (rows * V >= kParallelElements && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
      float *topV = scratch.floats(K);
      int32_t *topI = reinterpret_cast<int32_t *>(scratch.doubles(K));
      logSoftmaxTopKRow(xd + r * V, V, K, topV, topI, id + r * K, ld + r * K);
    }
    return undefinedValue(env);
  });
}

// out[i] = table[(u0[i % p0] << 8) | u1[i % p1]]: the quantized element-wise ops' 256×256 result
// table, gathered. No arithmetic, so bit-exact by construction.
napi_value PairLookupF32(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 7);
    auto u0 = typedArray<uint8_t>(env, a.argv[0], napi_uint8_array, "pairLookupF32 u0");
    int64_t p0 = intArg(env, a.argv[1], "p0");
    auto u1 = typedArray<uint8_t>(env, a.argv[2], napi_uint8_array, "pairLookupF32 u1");
    int64_t p1 = intArg(env, a.argv[3], "p1");
    int64_t count = intArg(env, a.argv[4], "count");
    auto table = typedArray<float>(env, a.argv[5], napi_float32_array, "pairLookupF32 table");
    auto out = typedArray<float>(env, a.argv[6], napi_float32_array, "pairLookupF32 out");
    if (p0 < 1 || p1 < 1) fail("pairLookupF32: p0 and p1 must be >= 1", true);
    requireLength("pairLookupF32 u0", u0.length, count < p0 ? count : p0);
    requireLength("pairLookupF32 u1", u1.length, count < p1 ? count : p1);
    requireLength("pairLookupF32 table", table.length, 65536);
    requireLength("pairLookupF32 out", out.length, count);
    const uint8_t *a0 = u0.data, *a1 = u1.data;
    const float *t = table.data;
    float *o = out.data;
    if (p0 >= count && p1 >= count) {
#pragma omp parallel for schedule(static) if (count >= 4 * kParallelElements)
      for (int64_t i = 0; i < count; i++) o[i] = t[(static_cast<uint32_t>(a0[i]) << 8) | a1[i]];
    } else {
      // Row-wise broadcast: walk i with running indices instead of two divisions per element.
      const int64_t rows = (count + p1 - 1) / p1;
#pragma omp parallel for schedule(static) if (count >= 4 * kParallelElements && rows > 1)
      for (int64_t r = 0; r < rows; r++) {
        const int64_t start = r * p1, end = start + p1 < count ? start + p1 : count;
        int64_t i0 = start % p0;
        for (int64_t i = start; i < end; i++) {
          o[i] = t[(static_cast<uint32_t>(a0[i0]) << 8) | a1[i - start]];
          if (++i0 == p0) i0 = 0;
        }
      }
    }
    return undefinedValue(env);
  });
}

// The quantized attention score chain's activation bytes (kernels.ts attentionScoresU8): two byte
// gathers per (row, valid position, unit); positions j >= min(lengths[s], T) are left untouched.
napi_value AttentionScoresU8(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 11);
    int64_t R = intArg(env, a.argv[0], "R");
    int64_t T = intArg(env, a.argv[1], "T");
    int64_t U = intArg(env, a.argv[2], "U");
    auto uq = typedArray<uint8_t>(env, a.argv[3], napi_uint8_array, "attentionScoresU8 uq");
    auto uk = typedArray<uint8_t>(env, a.argv[4], napi_uint8_array, "attentionScoresU8 uk");
    auto rowSentence = typedArray<int32_t>(env, a.argv[5], napi_int32_array, "attentionScoresU8 rowSentence");
    const bool haveLengths = !isNullish(env, a.argv[6]);
    View<int32_t> lengths{nullptr, 0};
    if (haveLengths) lengths = typedArray<int32_t>(env, a.argv[6], napi_int32_array, "attentionScoresU8 lengths");
    auto ub = typedArray<uint8_t>(env, a.argv[7], napi_uint8_array, "attentionScoresU8 ub");
    auto codes = typedArray<uint8_t>(env, a.argv[8], napi_uint8_array, "attentionScoresU8 codes");
    auto chain = typedArray<uint8_t>(env, a.argv[9], napi_uint8_array, "attentionScoresU8 chain");
    auto ut = typedArray<uint8_t>(env, a.argv[10], napi_uint8_array, "attentionScoresU8 ut");
    requireLength("attentionScoresU8 uq", uq.length, R * U);
    requireLength("attentionScoresU8 rowSentence", rowSentence.length, R);
    requireLength("attentionScoresU8 ub", ub.length, U);
    requireLength("attentionScoresU8 codes", codes.length, 65536);
    requireLength("attentionScoresU8 chain", chain.length, 65536);
    requireLength("attentionScoresU8 ut", ut.length, R * T * U);
    const int64_t TU = T * U;
    const int64_t S = TU > 0 ? static_cast<int64_t>(uk.length) / TU : 0;
    const int32_t *rs = rowSentence.data;
    for (int64_t r = 0; r < R; r++) {
      const int64_t s = rs[r];
      if (TU > 0 && !(s >= 0 && s < S))
        fail("attentionScoresU8: rowSentence[" + std::to_string(r) + "] = " + std::to_string(s) + " is outside the " +
                 std::to_string(S) + " sentences of uk.",
             true);
      if (haveLengths && !(s < static_cast<int64_t>(lengths.length)))
        fail("attentionScoresU8: rowSentence[" + std::to_string(r) + "] = " + std::to_string(s) +
                 " has no entry in lengths (length " + std::to_string(lengths.length) + ").",
             true);
    }
    if (TU == 0) return undefinedValue(env);
    const uint8_t *q = uq.data, *k = uk.data, *b = ub.data, *c = codes.data, *ch = chain.data;
    const int32_t *len = lengths.data;
    uint8_t *o = ut.data;
#pragma omp parallel for schedule(static) if (R * TU >= 4 * kParallelElements && R > 1)
    for (int64_t r = 0; r < R; r++) {
      const int64_t s = rs[r];
      const int64_t n = haveLengths ? (len[s] < T ? len[s] : T) : T;
      const uint8_t *qr = q + r * U;
      for (int64_t j = 0; j < n; j++) {
        const uint8_t *kr = k + (s * T + j) * U;
        uint8_t *orow = o + (r * T + j) * U;
        for (int64_t h = 0; h < U; h++)
          orow[h] = ch[(static_cast<uint32_t>(b[h]) << 8) | c[(static_cast<uint32_t>(qr[h]) << 8) | kr[h]]];
      }
    }
    return undefinedValue(env);
  });
}

// The quantized LSTM cell tail over bytes (kernels.ts lstmTailU8): nine gathers per element.
napi_value LstmTailU8(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 13);
    int64_t n = intArg(env, a.argv[0], "n");
    int64_t H = intArg(env, a.argv[1], "H");
    auto ux = typedArray<uint8_t>(env, a.argv[2], napi_uint8_array, "lstmTailU8 ux");
    auto uh = typedArray<uint8_t>(env, a.argv[3], napi_uint8_array, "lstmTailU8 uh");
    auto uc = typedArray<uint8_t>(env, a.argv[4], napi_uint8_array, "lstmTailU8 uc");
    auto gate = typedArray<uint8_t>(env, a.argv[5], napi_uint8_array, "lstmTailU8 gateCodes");
    auto forget = typedArray<uint8_t>(env, a.argv[6], napi_uint8_array, "lstmTailU8 forgetCodes");
    auto input = typedArray<uint8_t>(env, a.argv[7], napi_uint8_array, "lstmTailU8 inputCodes");
    auto cellT = typedArray<uint8_t>(env, a.argv[8], napi_uint8_array, "lstmTailU8 cellCodes");
    auto cv = typedArray<float>(env, a.argv[9], napi_float32_array, "lstmTailU8 cValues");
    auto hv = typedArray<float>(env, a.argv[10], napi_float32_array, "lstmTailU8 hValues");
    auto hOut = typedArray<float>(env, a.argv[11], napi_float32_array, "lstmTailU8 hOut");
    auto cOut = typedArray<float>(env, a.argv[12], napi_float32_array, "lstmTailU8 cOut");
    const int64_t G = 4 * H;
    requireLength("lstmTailU8 ux", ux.length, n * G);
    requireLength("lstmTailU8 uh", uh.length, n * G);
    requireLength("lstmTailU8 uc", uc.length, n * H);
    requireLength("lstmTailU8 gateCodes", gate.length, 65536);
    requireLength("lstmTailU8 forgetCodes", forget.length, 65536);
    requireLength("lstmTailU8 inputCodes", input.length, 65536);
    requireLength("lstmTailU8 cellCodes", cellT.length, 65536);
    requireLength("lstmTailU8 hValues", hv.length, 65536);
    requireLength("lstmTailU8 cValues", cv.length, 256);
    requireLength("lstmTailU8 hOut", hOut.length, n * H);
    requireLength("lstmTailU8 cOut", cOut.length, n * H);
    const uint8_t *x = ux.data, *y = uh.data, *c0 = uc.data;
    const uint8_t *gc = gate.data, *fc = forget.data, *ic = input.data, *cc = cellT.data;
    const float *cvd = cv.data, *hvd = hv.data;
    float *ho = hOut.data, *co = cOut.data;
#pragma omp parallel for schedule(static) if (n * H >= kParallelElements && n > 1)
    for (int64_t r = 0; r < n; r++) {
      const uint8_t *xr = x + r * G, *yr = y + r * G, *cr = c0 + r * H;
      float *hr = ho + r * H, *cor = co + r * H;
      for (int64_t j = 0; j < H; j++) {
        const uint32_t zi = gc[(static_cast<uint32_t>(xr[j]) << 8) | yr[j]];
        const uint32_t zf = gc[(static_cast<uint32_t>(xr[j + H]) << 8) | yr[j + H]];
        const uint32_t zg = gc[(static_cast<uint32_t>(xr[j + 2 * H]) << 8) | yr[j + 2 * H]];
        const uint32_t zo = gc[(static_cast<uint32_t>(xr[j + 3 * H]) << 8) | yr[j + 3 * H]];
        const uint32_t cell = cc[(static_cast<uint32_t>(fc[(zf << 8) | cr[j]]) << 8) | ic[(zi << 8) | zg]];
        cor[j] = cvd[cell];
        hr[j] = hvd[(zo << 8) | cell];
      }
    }
    return undefinedValue(env);
  });
}

#include "stats_kernels.inc"

// ---------------------------------------------------------------------------------------------------

napi_value Init(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 1);
    int64_t threads = intArg(env, a.argv[0], "threads");
    if (threads < 1) fail("threads must be >= 1", true);
    omp_set_num_threads(static_cast<int>(threads));
    if (!runtime) runtime = new Runtime();
    const dnnl_version_t *v = dnnl_version();
    std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    napi_value result;
    check(env, napi_create_string_utf8(env, version.c_str(), version.size(), &result), "string");
    return result;
  });
}

napi_value SetSplitU8(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 1);
    bool on = false;
    check(env, napi_get_value_bool(env, a.argv[0], &on), "setSplitU8 expects a boolean");
    if (!runtime) fail("native kernels used before init()");
    runtime->splitU8 = on;
    return undefinedValue(env);
  });
}

napi_value MaxThreads(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, omp_get_max_threads(), &r);
  return r;
}

napi_value ModuleInit(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxThreads", nullptr, MaxThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setSplitU8", nullptr, SetSplitU8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"packF32", nullptr, PackF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemmF32", nullptr, GemmF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"packS8", nullptr, PackS8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemmU8S8S32", nullptr, GemmU8S8S32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmCellF32", nullptr, LstmCellF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"quantizeU8", nullptr, QuantizeU8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"requantizeF32", nullptr, RequantizeF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attentionF32", nullptr, AttentionF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"logSoftmaxTopKF32", nullptr, LogSoftmaxTopKF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pairLookupF32", nullptr, PairLookupF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attentionScoresU8", nullptr, AttentionScoresU8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmTailU8", nullptr, LstmTailU8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"rowStatsF32", nullptr, RowStatsF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmTailStatsF32", nullptr, LstmTailStatsF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attentionScoreStatsF32", nullptr, AttentionScoreStatsF32, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(qnmt_native, ModuleInit)
