// Child process for the kill -9 test: starts writing a large GGUF over an existing file, signals when the
// temporary file is being filled, and waits to be killed.
import { GgufWriter } from './index.js';

const [path, megabytes] = [process.argv[2]!, Number(process.argv[3])];
const writer = new GgufWriter(path);
const rows = (megabytes * 1024 * 1024) / 4 / 1024;
for (let i = 0; i < 8; i++) writer.declareTensor(`t${i}`, { shape: [rows, 1024], type: 'F32' });
const data = new Float32Array(rows * 1024).fill(1);
for (let i = 0; i < 8; i++) {
  await writer.writeTensor(`t${i}`, data);
  if (i === 0) process.stdout.write('writing\n');
}
await new Promise(() => undefined); // never finish: the parent kills us
