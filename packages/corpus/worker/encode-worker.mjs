// Worker thread of @lm-stack/corpus's packShards: encodes batches of documents with the tokenizer it is
// given (as the tokenizer's own JSON) and sends back the tokens of the batch in one transferred buffer.
import { parentPort, workerData } from 'node:worker_threads';
import { BpeTokenizer } from '@lm-stack/tokenizer';

const tokenizer = BpeTokenizer.fromJSON(workerData.tokenizer);

parentPort.on('message', ({ batch, texts }) => {
  const encoded = texts.map((text) => tokenizer.encodeOrdinary(text));
  const offsets = new Uint32Array(encoded.length + 1);
  encoded.forEach((ids, i) => {
    offsets[i + 1] = offsets[i] + ids.length;
  });
  const tokens = new Uint32Array(offsets[encoded.length]);
  for (const [i, ids] of encoded.entries()) tokens.set(ids, offsets[i]);
  parentPort.postMessage({ batch, tokens, offsets }, [tokens.buffer, offsets.buffer]);
});
