import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, MiniGpt, selectBackend } from './index.js';

// Its own file, so its process has not selected a backend yet: importing the package registers the wasm
// backend, which initialises asynchronously.
describe('building a model before selecting a backend', () => {
  it('fails with BackendUnavailableError saying to await selectBackend(), then works once it has been awaited', async () => {
    const config = { vocabSize: 32, contextLength: 8, dModel: 32, nLayers: 1, nHeads: 2, dFf: 32 };
    expect(() => new MiniGpt(config)).toThrow(BackendUnavailableError);
    expect(() => new MiniGpt(config)).toThrow(/call `await selectBackend\(\)`/);
    await selectBackend('cpu');
    new MiniGpt(config).dispose();
  });
});
