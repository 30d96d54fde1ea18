// Child process: parses each GGUF file named in the JSON list file (argv[2]) with ggml's own
// gguf_init_from_file and prints one JSON line per file: {"index", "ok", ...summary}. Run it in a child
// process: ggml aborts the process on some malformed input, and the parent resumes after the last line.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const koffi = require('koffi');
const fromLlama = createRequire(require.resolve('node-llama-cpp'));
const binaries = join(dirname(fromLlama.resolve('@node-llama-cpp/linux-x64')), '..', 'bins', 'linux-x64');
const lib = koffi.load(join(binaries, 'libggml-base.so'));

koffi.struct('gguf_init_params', { no_alloc: 'bool', ctx: 'void *' });
const init = lib.func('void *gguf_init_from_file(const char *fname, gguf_init_params params)');
const free = lib.func('void gguf_free(void *ctx)');
const version = lib.func('uint32_t gguf_get_version(void *ctx)');
const nKv = lib.func('int64_t gguf_get_n_kv(void *ctx)');
const key = lib.func('const char *gguf_get_key(void *ctx, int64_t i)');
const kvType = lib.func('int gguf_get_kv_type(void *ctx, int64_t i)');
const arrType = lib.func('int gguf_get_arr_type(void *ctx, int64_t i)');
const arrN = lib.func('size_t gguf_get_arr_n(void *ctx, int64_t i)');
const arrStr = lib.func('const char *gguf_get_arr_str(void *ctx, int64_t i, size_t j)');
const arrData = lib.func('const void *gguf_get_arr_data(void *ctx, int64_t i)');
const valStr = lib.func('const char *gguf_get_val_str(void *ctx, int64_t i)');
const getters = {
  0: lib.func('uint8_t gguf_get_val_u8(void *ctx, int64_t i)'),
  1: lib.func('int8_t gguf_get_val_i8(void *ctx, int64_t i)'),
  2: lib.func('uint16_t gguf_get_val_u16(void *ctx, int64_t i)'),
  3: lib.func('int16_t gguf_get_val_i16(void *ctx, int64_t i)'),
  4: lib.func('uint32_t gguf_get_val_u32(void *ctx, int64_t i)'),
  5: lib.func('int32_t gguf_get_val_i32(void *ctx, int64_t i)'),
  6: lib.func('float gguf_get_val_f32(void *ctx, int64_t i)'),
  7: lib.func('bool gguf_get_val_bool(void *ctx, int64_t i)'),
  10: lib.func('uint64_t gguf_get_val_u64(void *ctx, int64_t i)'),
  11: lib.func('int64_t gguf_get_val_i64(void *ctx, int64_t i)'),
  12: lib.func('double gguf_get_val_f64(void *ctx, int64_t i)'),
};
const itemTypes = {
  0: 'uint8_t',
  1: 'int8_t',
  2: 'uint16_t',
  3: 'int16_t',
  4: 'uint32_t',
  5: 'int32_t',
  6: 'float',
  7: 'bool',
  10: 'uint64_t',
  11: 'int64_t',
  12: 'double',
};
const nTensors = lib.func('int64_t gguf_get_n_tensors(void *ctx)');
const tensorName = lib.func('const char *gguf_get_tensor_name(void *ctx, int64_t i)');
const tensorType = lib.func('int gguf_get_tensor_type(void *ctx, int64_t i)');
const tensorOffset = lib.func('size_t gguf_get_tensor_offset(void *ctx, int64_t i)');
const dataOffset = lib.func('size_t gguf_get_data_offset(void *ctx)');

// JSON cannot carry 64-bit integers, ±Infinity, NaN or -0: they travel as strings ("<decimal>n" for
// 64-bit integers, whatever koffi returned; "Infinity", "-Infinity", "NaN", "-0" for floats).
const show = (value, type) => {
  if (type === 10 || type === 11 || typeof value === 'bigint') return `${BigInt(value)}n`;
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)))
    return Object.is(value, -0) ? '-0' : String(value);
  return value;
};

const files = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const start = Number(process.argv[3] ?? 0);
const full = process.argv[4] === 'full';
for (let index = start; index < files.length; index++) {
  const ctx = init(files[index], { no_alloc: true, ctx: null });
  if (!ctx) {
    process.stdout.write(`${JSON.stringify({ index, ok: false })}\n`);
    continue;
  }
  const result = { index, ok: true };
  if (full) {
    result.version = version(ctx);
    result.kv = [];
    for (let i = 0; i < Number(nKv(ctx)); i++) {
      const type = kvType(ctx, i);
      let value;
      if (type === 8) value = valStr(ctx, i);
      else if (type === 9) {
        const item = arrType(ctx, i);
        const n = Number(arrN(ctx, i));
        value =
          item === 8
            ? Array.from({ length: n }, (_, j) => arrStr(ctx, i, j))
            : n === 0
              ? []
              : Array.from(koffi.decode(arrData(ctx, i), koffi.array(itemTypes[item], n))).map((entry) =>
                  show(entry, item),
                );
        value = { item, items: value };
      } else value = show(getters[type](ctx, i), type);
      result.kv.push([key(ctx, i), type, value]);
    }
    result.tensors = [];
    for (let i = 0; i < Number(nTensors(ctx)); i++)
      result.tensors.push([tensorName(ctx, i), tensorType(ctx, i), Number(tensorOffset(ctx, i))]);
    result.dataOffset = Number(dataOffset(ctx));
  }
  free(ctx);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
