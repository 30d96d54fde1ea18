/**
 * llama.cpp's LLaMA forward pass rebuilt from ggml ops, run on the very ggml CPU build that node-llama-cpp
 * loaded, through koffi. It is the machine-independent reference for quantized exports: llama.cpp's kernels
 * add floats in an order that depends on the CPU (AVX2, AVX-512, AMX, repacked Q4_0 panels), so no fixed
 * arithmetic of ours can match every machine to 1e-4 — but ggml's own graph on the same build does.
 *
 * The graph follows llama.cpp's `llama_model_llama::graph` (src/models/llama.cpp) and what it calls, op for
 * op and in the same node order (the CPU backend fuses RMS_NORM + MUL by adjacency): build_norm, build_qkv,
 * ggml_rope_ext, the KV cache store (ggml_set_rows into an F32 cache of the context's size, V transposed),
 * build_attn_mha without flash attention (KQ over every cell of the cache, masked with −inf), build_ffn
 * (SILU, parallel gate: ggml_swiglu_split), and the output head. Weights are placed the way llama.cpp's
 * loader places them (make_cpu_buft_list + weight_buft_supported): in the first of the CPU's extra buffer
 * types (repack, AMX) whose device accepts the weight's op, otherwise in the plain CPU buffer.
 *
 * Weights come in ggml layout with their ggml type; the caller quantizes them with ggml itself
 * (ggml-oracle.ts), so the reference owes nothing to this project's quantizers.
 */

import { join } from 'node:path';
import koffi from 'koffi';
import type { GgmlCpuVariant } from './ggml-cpu-variant.js';
import { GGML_TYPE_ID, llamaCppBinaries, type OracleTypeName } from './ggml-oracle.js';

/** A weight in ggml order (`dims[0]` is the row length) and its already-encoded bytes. */
export interface GgmlWeight {
  readonly type: OracleTypeName;
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/** The llama hyperparameters llama.cpp reads from a GGUF. */
export interface LlamaGraphShape {
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly embedding: number;
  readonly vocab: number;
  readonly rmsEps: number;
  readonly ropeBase: number;
  /** llama.context_length: n_ctx_orig for RoPE. */
  readonly trainedContext: number;
}

/** A LoRA adapter as llama.cpp applies it (llama_adapter_lora): `<weight>.lora_a` / `.lora_b` tensors. */
export interface LlamaGraphAdapter {
  readonly weights: Map<string, GgmlWeight>;
  /** adapter.lora.alpha */
  readonly alpha: number;
  /** The scale asked for at load time. */
  readonly scale: number;
}

export interface LlamaGraphRun {
  /** Logits, one row of `vocab` floats per position. */
  readonly logits: Float32Array[];
  /** Which buffer type each weight went to (`'CPU'`, `'CPU_REPACK'`, …). */
  readonly placement: Map<string, string>;
}

// ggml.h: GGML_ROPE_TYPE_NORMAL = 0 (llama's rope type); enum ggml_type I32 = 26, I64 = 27.
const ROPE_NORMAL = 0;
const I32 = 26;
const I64 = 27;
const F32 = 0;
// ggml-backend.h: GGML_BACKEND_BUFFER_USAGE_WEIGHTS = 1.
const USAGE_WEIGHTS = 1;
// llama-graph.cpp weight_buft_supported: the probe activation for a MUL_MAT weight is [ne0, 512].
const PROBE_TOKENS = 512;
const GRAPH_NODES = 4096;

type Pointer = unknown;

function bindings(variant: GgmlCpuVariant) {
  const directory = llamaCppBinaries();
  if (!directory) throw new Error('node-llama-cpp binaries are not installed');
  const base = koffi.load(join(directory, 'libggml-base.so'));
  const cpu = koffi.load(variant.path);
  const initParams = koffi.struct(`ggml_init_params_${Math.random().toString(36).slice(2)}`, {
    mem_size: 'size_t',
    mem_buffer: 'void *',
    no_alloc: 'bool',
  });
  const fn = (signature: string) => base.func(signature);
  return {
    backendInit: cpu.func('void *ggml_backend_init(void)'),
    init: base.func('ggml_init', 'void *', [initParams]),
    free: fn('void ggml_free(void *ctx)'),
    tensorOverhead: fn('size_t ggml_tensor_overhead(void)'),
    graphOverhead: fn('size_t ggml_graph_overhead_custom(size_t size, bool grads)'),
    newTensor2d: fn('void *ggml_new_tensor_2d(void *ctx, int type, int64_t ne0, int64_t ne1)'),
    newTensor4d: fn(
      'void *ggml_new_tensor_4d(void *ctx, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3)',
    ),
    setName: fn('void *ggml_set_name(void *tensor, const char *name)'),
    setInput: fn('void ggml_set_input(void *tensor)'),
    setOutput: fn('void ggml_set_output(void *tensor)'),
    rowSize: fn('size_t ggml_row_size(int type, int64_t ne)'),
    nbytes: fn('size_t ggml_nbytes(void *tensor)'),
    nelements: fn('int64_t ggml_nelements(void *tensor)'),
    getRows: fn('void *ggml_get_rows(void *ctx, void *a, void *b)'),
    setRows: fn('void *ggml_set_rows(void *ctx, void *a, void *b, void *c)'),
    rmsNorm: fn('void *ggml_rms_norm(void *ctx, void *a, float eps)'),
    mul: fn('void *ggml_mul(void *ctx, void *a, void *b)'),
    add: fn('void *ggml_add(void *ctx, void *a, void *b)'),
    mulMat: fn('void *ggml_mul_mat(void *ctx, void *a, void *b)'),
    reshape2d: fn('void *ggml_reshape_2d(void *ctx, void *a, int64_t ne0, int64_t ne1)'),
    reshape3d: fn('void *ggml_reshape_3d(void *ctx, void *a, int64_t ne0, int64_t ne1, int64_t ne2)'),
    view2d: fn('void *ggml_view_2d(void *ctx, void *a, int64_t ne0, int64_t ne1, size_t nb1, size_t offset)'),
    view4d: fn(
      'void *ggml_view_4d(void *ctx, void *a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3, size_t nb1, size_t nb2, size_t nb3, size_t offset)',
    ),
    permute: fn('void *ggml_permute(void *ctx, void *a, int axis0, int axis1, int axis2, int axis3)'),
    cont2d: fn('void *ggml_cont_2d(void *ctx, void *a, int64_t ne0, int64_t ne1)'),
    rope: fn(
      'void *ggml_rope_ext(void *ctx, void *a, void *b, void *c, int n_dims, int mode, int n_ctx_orig, float freq_base, float freq_scale, float ext_factor, float attn_factor, float beta_fast, float beta_slow)',
    ),
    softMax: fn('void *ggml_soft_max_ext(void *ctx, void *a, void *mask, float scale, float max_bias)'),
    scale: fn('void *ggml_scale(void *ctx, void *a, float s)'),
    swigluSplit: fn('void *ggml_swiglu_split(void *ctx, void *a, void *b)'),
    newGraph: fn('void *ggml_new_graph_custom(void *ctx, size_t size, bool grads)'),
    expand: fn('void ggml_build_forward_expand(void *graph, void *tensor)'),
    regDevGet: fn('void *ggml_backend_reg_dev_get(void *reg, size_t index)'),
    regProc: fn('void *ggml_backend_reg_get_proc_address(void *reg, const char *name)'),
    devInit: fn('void *ggml_backend_dev_init(void *dev, const char *params)'),
    devBufferType: fn('void *ggml_backend_dev_buffer_type(void *dev)'),
    devSupportsOp: fn('bool ggml_backend_dev_supports_op(void *dev, void *op)'),
    buftName: fn('const char *ggml_backend_buft_name(void *buft)'),
    buftAllocSize: fn('size_t ggml_backend_buft_get_alloc_size(void *buft, void *tensor)'),
    buftAlloc: fn('void *ggml_backend_buft_alloc_buffer(void *buft, size_t size)'),
    bufferBase: fn('void *ggml_backend_buffer_get_base(void *buffer)'),
    bufferClear: fn('void ggml_backend_buffer_clear(void *buffer, uint8_t value)'),
    bufferUsage: fn('void ggml_backend_buffer_set_usage(void *buffer, int usage)'),
    bufferFree: fn('void ggml_backend_buffer_free(void *buffer)'),
    tensorAlloc: fn('int ggml_backend_tensor_alloc(void *buffer, void *tensor, void *addr)'),
    tensorSet: fn('void ggml_backend_tensor_set(void *tensor, const void *data, size_t offset, size_t size)'),
    tensorGet: fn('void ggml_backend_tensor_get(void *tensor, _Out_ void *data, size_t offset, size_t size)'),
    allocCtx: fn('void *ggml_backend_alloc_ctx_tensors_from_buft(void *ctx, void *buft)'),
    gallocNew: fn('void *ggml_gallocr_new(void *buft)'),
    gallocGraph: fn('bool ggml_gallocr_alloc_graph(void *galloc, void *graph)'),
    gallocFree: fn('void ggml_gallocr_free(void *galloc)'),
    compute: fn('int ggml_backend_graph_compute(void *backend, void *graph)'),
    backendFree: fn('void ggml_backend_free(void *backend)'),
    extraBuftsType: koffi.proto(`void *ExtraBufts_${Math.random().toString(36).slice(2)}(void *dev)`),
    setThreadsType: koffi.proto(
      `void SetThreads_${Math.random().toString(36).slice(2)}(void *backend, int n)`,
    ),
  };
}

type Ggml = ReturnType<typeof bindings>;
const loaded = new Map<string, Ggml>();

/**
 * llama.cpp's logits for `ids` (one batch from position 0, one thread, F32 KV cache of `cacheSize` cells,
 * no flash attention), computed by ggml's CPU build `variant` on `weights` (names as in a llama GGUF).
 *
 * @example
 * ```ts
 * const run = llamaGraphLogits(loadedGgmlCpuVariant()!, shape, weights, ids, 256);
 * ```
 */
export function llamaGraphLogits(
  variant: GgmlCpuVariant,
  shape: LlamaGraphShape,
  weights: Map<string, GgmlWeight>,
  ids: readonly number[],
  cacheSize: number,
  adapter?: LlamaGraphAdapter,
): LlamaGraphRun {
  const g = loaded.get(variant.path) ?? bindings(variant);
  loaded.set(variant.path, g);
  const reg = g.backendInit();
  const device = g.regDevGet(reg, 0);
  const backend = g.devInit(device, null);
  koffi.call(g.regProc(reg, 'ggml_backend_set_n_threads'), g.setThreadsType, backend, 1);
  const cpuBuffer = g.devBufferType(device);
  const extraList = koffi.call(g.regProc(reg, 'ggml_backend_dev_get_extra_bufts'), g.extraBuftsType, device);
  const extras: Pointer[] = [];
  for (let i = 0; extraList; i++) {
    const buft = koffi.decode(extraList, i * 8, 'void *');
    if (!buft) break;
    extras.push(buft);
  }
  const buffers: Pointer[] = [];
  const contexts: Pointer[] = [];
  const context = (tensors: number) => {
    const ctx = g.init({
      mem_size: g.tensorOverhead() * tensors + g.graphOverhead(GRAPH_NODES, false),
      mem_buffer: null,
      no_alloc: true,
    });
    contexts.push(ctx);
    return ctx;
  };
  try {
    // Weights, placed as llama.cpp's loader places them.
    const weightContext = context(weights.size + (adapter?.weights.size ?? 0));
    const probeContext = context(4 * weights.size);
    const placement = new Map<string, string>();
    const tensors = new Map<string, Pointer>();
    for (const [name, weight] of weights) {
      const [ne0, ne1 = 1] = weight.dims;
      const type = GGML_TYPE_ID[weight.type];
      const tensor = g.newTensor2d(weightContext, type, ne0!, ne1);
      g.setName(tensor, name);
      let chosen = cpuBuffer;
      if (weight.dims.length === 2 && name !== 'token_embd.weight') {
        for (const buft of extras) {
          const probe = g.newTensor2d(probeContext, type, ne0!, ne1);
          const probeBuffer = g.buftAlloc(buft, g.buftAllocSize(buft, probe));
          g.tensorAlloc(probeBuffer, probe, g.bufferBase(probeBuffer));
          const activation = g.newTensor2d(probeContext, F32, ne0!, PROBE_TOKENS);
          const supported = g.devSupportsOp(device, g.mulMat(probeContext, probe, activation));
          g.bufferFree(probeBuffer);
          if (supported) {
            chosen = buft;
            break;
          }
        }
      }
      const buffer = g.buftAlloc(chosen, g.buftAllocSize(chosen, tensor));
      buffers.push(buffer);
      g.bufferUsage(buffer, USAGE_WEIGHTS);
      g.tensorAlloc(buffer, tensor, g.bufferBase(buffer));
      g.tensorSet(tensor, weight.bytes, 0, weight.bytes.byteLength);
      placement.set(name, g.buftName(chosen));
      tensors.set(name, tensor);
    }
    // Adapter tensors go to the plain CPU buffer (llama_adapter_lora_init swaps extra buffer types for it).
    for (const [name, weight] of adapter?.weights ?? []) {
      const tensor = g.newTensor2d(
        weightContext,
        GGML_TYPE_ID[weight.type],
        weight.dims[0]!,
        weight.dims[1] ?? 1,
      );
      const buffer = g.buftAlloc(cpuBuffer, g.buftAllocSize(cpuBuffer, tensor));
      buffers.push(buffer);
      g.tensorAlloc(buffer, tensor, g.bufferBase(buffer));
      g.tensorSet(tensor, weight.bytes, 0, weight.bytes.byteLength);
      tensors.set(name, tensor);
    }
    const w = (name: string) => {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`weight ${name} is missing`);
      return tensor;
    };

    // The KV cache: F32, one [n_embd_gqa, cacheSize] tensor per layer for K and for V, zeroed.
    const headDim = shape.embedding / shape.heads;
    const kvWidth = headDim * shape.kvHeads;
    const cacheContext = context(2 * shape.layers);
    const kCache: Pointer[] = [];
    const vCache: Pointer[] = [];
    for (let layer = 0; layer < shape.layers; layer++) {
      kCache.push(g.newTensor2d(cacheContext, F32, kvWidth, cacheSize));
      vCache.push(g.newTensor2d(cacheContext, F32, kvWidth, cacheSize));
    }
    const cacheBuffer = g.allocCtx(cacheContext, cpuBuffer);
    buffers.push(cacheBuffer);
    g.bufferClear(cacheBuffer, 0);

    // The graph, in llama.cpp's order.
    const n = ids.length;
    const ctx = context(GRAPH_NODES);
    const graph = g.newGraph(ctx, GRAPH_NODES, false);
    const input = (type: number, ne0: number, ne1 = 1) => {
      const tensor = g.newTensor2d(ctx, type, ne0, ne1);
      g.setInput(tensor);
      return tensor;
    };
    const tokens = input(I32, n);
    const positions = input(I32, n);
    const mask = input(F32, cacheSize, n); // [n_kv, n_tokens]
    const kIndices = input(I64, n);
    const vIndices = input(I64, n * kvWidth);
    const outIds = input(I32, n);
    // llm_graph_context::build_lora_mm: W·x, plus scale · B·(A·x) for an adapted weight, with llama.cpp's
    // float scale = adapter_scale · alpha / rank (llama_adapter_lora_weight::get_scale; rank = B's ne[0]).
    const mm = (weight: string, x: Pointer) => {
      const product = g.mulMat(ctx, w(weight), x);
      const a = tensors.get(`${weight}.lora_a`);
      const b = tensors.get(`${weight}.lora_b`);
      if (!adapter || !a || !b) return product;
      const rank = adapter.weights.get(`${weight}.lora_b`)!.dims[0]!;
      const scale = adapter.alpha
        ? Math.fround(Math.fround(adapter.scale * adapter.alpha) / rank)
        : adapter.scale;
      return g.add(ctx, product, g.scale(ctx, g.mulMat(ctx, b, g.mulMat(ctx, a, x)), scale));
    };
    const norm = (x: Pointer, weight: string) => g.mul(ctx, g.rmsNorm(ctx, x, shape.rmsEps), w(weight));
    const rope = (x: Pointer) =>
      g.rope(
        ctx,
        x,
        positions,
        null,
        headDim,
        ROPE_NORMAL,
        shape.trainedContext,
        shape.ropeBase,
        1,
        0,
        1,
        32,
        1,
      );
    const f32 = (count: number) => Number(g.rowSize(F32, count));
    let inpL = g.getRows(ctx, w('token_embd.weight'), tokens);
    for (let layer = 0; layer < shape.layers; layer++) {
      const block = (name: string) => `blk.${layer}.${name}.weight`;
      let inpSA = inpL;
      let cur = norm(inpL, block('attn_norm'));
      let q = mm(block('attn_q'), cur);
      let k = mm(block('attn_k'), cur);
      let v = mm(block('attn_v'), cur);
      q = rope(g.reshape3d(ctx, q, headDim, shape.heads, n));
      k = rope(g.reshape3d(ctx, k, headDim, shape.kvHeads, n));
      v = g.reshape3d(ctx, v, headDim, shape.kvHeads, n);
      g.expand(graph, q);
      g.expand(graph, v);
      g.expand(graph, k);
      // llama_kv_cache::cpy_k / cpy_v (V transposed: one row per head element).
      g.expand(graph, g.setRows(ctx, kCache[layer], g.view2d(ctx, k, kvWidth, n, f32(kvWidth), 0), kIndices));
      const vRows = g.reshape2d(ctx, g.reshape2d(ctx, v, kvWidth, n), 1, n * kvWidth);
      const vView = g.reshape2d(ctx, vCache[layer], 1, kvWidth * cacheSize);
      g.expand(graph, g.setRows(ctx, vView, vRows, vIndices));
      // llama_kv_cache::get_k / get_v, then build_attn_mha.
      const kView = g.view4d(
        ctx,
        kCache[layer],
        headDim,
        shape.kvHeads,
        cacheSize,
        1,
        f32(headDim),
        f32(kvWidth),
        f32(kvWidth * cacheSize),
        0,
      );
      const vViewT = g.view4d(
        ctx,
        vCache[layer],
        cacheSize,
        shape.kvHeads,
        headDim,
        1,
        f32(cacheSize * headDim),
        f32(cacheSize),
        f32(cacheSize * kvWidth),
        0,
      );
      const q4 = g.view4d(
        ctx,
        q,
        headDim,
        shape.heads,
        n,
        1,
        f32(headDim),
        f32(headDim * shape.heads),
        f32(headDim * shape.heads * n),
        0,
      );
      const qp = g.permute(ctx, q4, 0, 2, 1, 3);
      const kp = g.permute(ctx, kView, 0, 2, 1, 3);
      const vp = g.permute(ctx, vViewT, 0, 2, 1, 3);
      let kq = g.mulMat(ctx, kp, qp);
      kq = g.softMax(ctx, kq, mask, 1 / Math.sqrt(headDim), 0);
      const kqv = g.mulMat(ctx, vp, kq);
      cur = g.cont2d(ctx, g.permute(ctx, kqv, 0, 2, 1, 3), headDim * shape.heads, n);
      g.expand(graph, cur);
      cur = mm(block('attn_output'), cur);
      if (layer === shape.layers - 1) {
        cur = g.getRows(ctx, cur, outIds);
        inpSA = g.getRows(ctx, inpSA, outIds);
      }
      const ffnIn = g.add(ctx, cur, inpSA);
      cur = norm(ffnIn, block('ffn_norm'));
      const up = mm(block('ffn_up'), cur);
      const gate = mm(block('ffn_gate'), cur);
      cur = mm(block('ffn_down'), g.swigluSplit(ctx, gate, up));
      inpL = g.add(ctx, cur, ffnIn);
    }
    const logits = mm('output.weight', norm(inpL, 'output_norm.weight'));
    g.setOutput(logits);
    g.expand(graph, logits);

    const galloc = g.gallocNew(cpuBuffer);
    try {
      if (!g.gallocGraph(galloc, graph)) throw new Error('ggml_gallocr_alloc_graph failed');
      const order = Int32Array.from({ length: n }, (_, i) => i);
      const set = (tensor: Pointer, data: ArrayBufferView) => g.tensorSet(tensor, data, 0, data.byteLength);
      set(tokens, Int32Array.from(ids));
      set(positions, order);
      set(outIds, order);
      set(kIndices, BigInt64Array.from(order, BigInt));
      // llama_kv_cache::set_input_v_idxs (transposed V): element j of token i goes to row j · kv_size + i.
      const vIdx = new BigInt64Array(n * kvWidth);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < kvWidth; j++) vIdx[i * kvWidth + j] = BigInt(j * cacheSize + i);
      set(vIndices, vIdx);
      const maskValues = new Float32Array(cacheSize * n).fill(-Infinity);
      for (let i = 0; i < n; i++) maskValues.fill(0, i * cacheSize, i * cacheSize + i + 1);
      set(mask, maskValues);
      const status = g.compute(backend, graph);
      if (status !== 0) throw new Error(`ggml_backend_graph_compute returned ${status}`);
      const out = new Float32Array(shape.vocab * n);
      g.tensorGet(logits, out, 0, out.byteLength);
      return {
        logits: Array.from({ length: n }, (_, i) => out.slice(i * shape.vocab, (i + 1) * shape.vocab)),
        placement,
      };
    } finally {
      g.gallocFree(galloc);
    }
  } finally {
    for (const buffer of buffers) g.bufferFree(buffer);
    for (const ctx of contexts) g.free(ctx);
    g.backendFree(backend);
  }
}
