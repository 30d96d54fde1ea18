export { type QuantizationError, quantizationError } from './error-metrics.js';
export {
  BlockAlignmentError,
  ByteLengthError,
  NonFiniteValueError,
  QuantizeError,
  UnsupportedTypeError,
} from './errors.js';
export { bf16ToFp32, fp16ToFp32, fp32ToBf16, fp32ToFp16 } from './float16.js';
export type { BlockFormat } from './formats/block-format.js';
export {
  dequantizeGgml,
  GGML_TYPES,
  type GgmlTypeName,
  ggmlByteLength,
  ggmlFormat,
  type KernelChoice,
  type QuantizeGgmlOptions,
  quantizeGgml,
} from './ggml-codec.js';
export {
  dequantizeInt,
  type Granularity,
  type IntQuantized,
  type IntQuantOptions,
  intCode,
  quantizeInt,
} from './int-quant.js';
export { quantizedMatmul } from './quantized-matmul.js';
export { chooseGgmlType, type GgmlTypeChoice } from './type-choice.js';
