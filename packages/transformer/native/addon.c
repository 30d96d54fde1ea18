// Node-API binding of the AVX2 GEMM (gemm.c, pool.c): `gemm(a, b, out, batches, m, n, k, transposeA,
// transposeB, strideA, strideB)` on Float32Arrays (views of a WebAssembly heap included), `supported()`,
// `setThreads(count)` and `parallelJobs()`. Every size
// is checked against the arrays' lengths before the kernel touches memory.
#include <node_api.h>
#include <stdint.h>

#include "pool.h"

#define ARGUMENTS 11

static int cpuSupported(void) {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

static napi_value throwRange(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_LM_STACK_GEMM", message);
  return NULL;
}

// A Float32Array argument's data and length, or 0 when the value is not one.
static int floatArray(napi_env env, napi_value value, float **data, size_t *length) {
  napi_typedarray_type type;
  void *pointer;
  if (napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = pointer;
  return 1;
}

static int integer(napi_env env, napi_value value, int64_t *out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

// Whether `count` items of `stride` floats plus a last item of `size` fit in `length`: (count-1)·stride + size.
static int fits(int64_t count, int64_t stride, int64_t size, size_t length) {
  if (count == 0) return 1;
  double extent = (double)(count - 1) * (double)stride + (double)size; // exact below 2^53
  return extent <= (double)length;
}

static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = ARGUMENTS;
  napi_value argv[ARGUMENTS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != ARGUMENTS)
    return throwRange(env, "gemm takes 11 arguments");
  float *a, *b, *out;
  size_t aLength, bLength, outLength;
  if (!floatArray(env, argv[0], &a, &aLength) || !floatArray(env, argv[1], &b, &bLength) ||
      !floatArray(env, argv[2], &out, &outLength))
    return throwRange(env, "a, b and out must be Float32Arrays");
  int64_t sizes[4], strides[2];
  for (int i = 0; i < 4; i++)
    if (!integer(env, argv[3 + i], &sizes[i]) || sizes[i] < 0 || sizes[i] > INT32_MAX)
      return throwRange(env, "batches, m, n and k must be integers in [0, 2^31)");
  for (int i = 0; i < 2; i++)
    if (!integer(env, argv[9 + i], &strides[i]) || strides[i] < 0)
      return throwRange(env, "strides must be non-negative integers");
  bool transposeA, transposeB;
  if (napi_get_value_bool(env, argv[7], &transposeA) != napi_ok ||
      napi_get_value_bool(env, argv[8], &transposeB) != napi_ok)
    return throwRange(env, "transposeA and transposeB must be booleans");
  int64_t batches = sizes[0], m = sizes[1], n = sizes[2], k = sizes[3];
  if (!fits(batches, strides[0], m * k, aLength) || !fits(batches, strides[1], k * n, bLength) ||
      !fits(batches, m * n, m * n, outLength))
    return throwRange(env, "an operand is shorter than its shape and stride need");
  if (!cpuSupported()) return throwRange(env, "this CPU lacks AVX2 or FMA");
  if (lmStackGemm(a, b, out, (int)batches, (int)m, (int)n, (int)k, transposeA, transposeB,
                  (size_t)strides[0], (size_t)strides[1]) != 0) {
    napi_throw_error(env, "ERR_LM_STACK_GEMM", "out of memory for the packing buffer");
    return NULL;
  }
  return NULL;
}

static napi_value setThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &count) != napi_ok || count < 1)
    return throwRange(env, "setThreads takes a thread count of at least 1");
  napi_value result;
  napi_create_int32(env, lmStackSetThreads(count), &result);
  return result;
}

static napi_value parallelJobs(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_double(env, (double)lmStackParallelJobs(), &result);
  return result;
}

static napi_value supported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_boolean(env, cpuSupported(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"supported", NULL, supported, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, setThreads, NULL, NULL, NULL, napi_default, NULL},
      {"parallelJobs", NULL, parallelJobs, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
