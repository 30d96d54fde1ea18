export { DTYPE_SIZE, type SafetensorsDtype } from './dtypes.js';
export {
  PickleFileError,
  SafetensorsError,
  type SafetensorsErrorCode,
  SafetensorsWriteError,
} from './errors.js';
export {
  MAX_HEADER_BYTES,
  memorySource,
  parseSafetensors,
  pickleKind,
  readSafetensors,
  readSafetensorsTensor,
  type SafetensorsFile,
  type SafetensorsSource,
  type SafetensorsTensorInfo,
} from './safetensors-reader.js';
export { SafetensorsWriter } from './safetensors-writer.js';
