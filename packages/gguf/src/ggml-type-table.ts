/**
 * Every ggml tensor type id a GGUF file may name, with elements per block and bytes per block, as
 * `ggml_blck_size`/`ggml_type_size` report them (checked against node-llama-cpp's libggml in the tests).
 * Removed ids (4, 5, 31–33, 36–38) have size 0 and are rejected, as ggml does. GGML_TYPE_COUNT = 43.
 */
export const GGML_TYPE_INFO: ReadonlyArray<{
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
}> = [
  ['F32', 1, 4],
  ['F16', 1, 2],
  ['Q4_0', 32, 18],
  ['Q4_1', 32, 20],
  ['', 0, 0],
  ['', 0, 0],
  ['Q5_0', 32, 22],
  ['Q5_1', 32, 24],
  ['Q8_0', 32, 34],
  ['Q8_1', 32, 36],
  ['Q2_K', 256, 84],
  ['Q3_K', 256, 110],
  ['Q4_K', 256, 144],
  ['Q5_K', 256, 176],
  ['Q6_K', 256, 210],
  ['Q8_K', 256, 292],
  ['IQ2_XXS', 256, 66],
  ['IQ2_XS', 256, 74],
  ['IQ3_XXS', 256, 98],
  ['IQ1_S', 256, 50],
  ['IQ4_NL', 32, 18],
  ['IQ3_S', 256, 110],
  ['IQ2_S', 256, 82],
  ['IQ4_XS', 256, 136],
  ['I8', 1, 1],
  ['I16', 1, 2],
  ['I32', 1, 4],
  ['I64', 1, 8],
  ['F64', 1, 8],
  ['IQ1_M', 256, 56],
  ['BF16', 1, 2],
  ['', 0, 0],
  ['', 0, 0],
  ['', 0, 0],
  ['TQ1_0', 256, 54],
  ['TQ2_0', 256, 66],
  ['', 0, 0],
  ['', 0, 0],
  ['', 0, 0],
  ['MXFP4', 32, 17],
  ['NVFP4', 64, 36],
  ['Q1_0', 128, 18],
  ['Q2_0', 64, 18],
].map(([name, blockSize, typeSize]) => ({
  name: name as string,
  blockSize: blockSize as number,
  typeSize: typeSize as number,
}));

const ID_BY_NAME = new Map(
  GGML_TYPE_INFO.flatMap((info, id) => (info.name ? [[info.name, id] as const] : [])),
);

/** The ggml type id of a name such as `'Q4_K'`, or undefined. */
export function ggmlTypeId(name: string): number | undefined {
  return ID_BY_NAME.get(name);
}
