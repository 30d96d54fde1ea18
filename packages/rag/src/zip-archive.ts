import { inflateRawSync } from 'node:zlib';
import { CorruptDocumentError, LimitExceededError } from './errors.js';
import type { LoadLimits } from './limits.js';

// APPNOTE.TXT 4.3.16: end of central directory record, 22 bytes + comment (at most 65,535).
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const CENTRAL_SIGNATURE = 0x02014b50; // 4.3.12, 46 bytes + name + extra + comment
const LOCAL_SIGNATURE = 0x04034b50; // 4.3.7, 30 bytes + name + extra
const STORED = 0;
const DEFLATED = 8;

/**
 * Every entry of a zip archive inflated under the limits: the entry count, each entry's declared and real
 * inflated size, its compression ratio and the total are checked before and while inflating (a zip bomb's
 * central directory can lie, so inflation itself stops at the declared size). Returns name → bytes.
 */
export function readZipEntries(file: string, bytes: Uint8Array, limits: LoadLimits): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (detail: string) =>
    new CorruptDocumentError(file, `not a readable zip archive (${detail})`);
  let eocd = -1;
  for (let at = bytes.length - EOCD_SIZE; at >= Math.max(0, bytes.length - EOCD_SIZE - 65_535); at--)
    if (view.getUint32(at, true) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  if (eocd < 0) throw corrupt('no end-of-central-directory record');
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryStart = view.getUint32(eocd + 16, true);
  if (count > limits.maxArchiveEntries)
    throw new LimitExceededError(file, 'zip entry count', count, limits.maxArchiveEntries);
  if (directoryStart + directorySize > eocd)
    throw corrupt(`central directory at ${directoryStart} runs past ${eocd}`);
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  let at = directoryStart;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE)
      throw corrupt(`entry ${i} at offset ${at}`);
    const method = view.getUint16(at + 10, true);
    const compressed = view.getUint32(at + 20, true);
    const declared = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    if (at + 46 + nameLength > eocd) throw corrupt(`entry ${i}'s name runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    total += declared;
    if (total > limits.maxInflatedBytes)
      throw new LimitExceededError(file, 'inflated archive size', total, limits.maxInflatedBytes);
    if (compressed > 0 && declared / compressed > limits.maxCompressionRatio)
      throw new LimitExceededError(
        file,
        `compression ratio of ${name}`,
        Math.round(declared / compressed),
        limits.maxCompressionRatio,
      );
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE)
      throw corrupt(`local header of ${name} at ${localOffset}`);
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressed > bytes.length) throw corrupt(`${name}'s data runs past the end of the file`);
    const data = bytes.subarray(dataStart, dataStart + compressed);
    if (method === STORED) {
      if (compressed !== declared) throw corrupt(`${name} is stored with two sizes`);
      entries.set(name, data);
    } else if (method === DEFLATED) {
      let inflated: Buffer;
      try {
        // Never more than the declared size (+1 to notice a lie), so a lying header cannot blow memory up.
        inflated = inflateRawSync(data, { maxOutputLength: declared + 1 });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw new LimitExceededError(file, `inflated size of ${name}`, declared + 1, declared);
        throw corrupt(`${name} does not inflate (${(error as Error).message})`);
      }
      if (inflated.length !== declared)
        throw new LimitExceededError(file, `inflated size of ${name}`, inflated.length, declared);
      entries.set(name, inflated);
    } else throw corrupt(`${name} uses compression method ${method}`);
  }
  return entries;
}
