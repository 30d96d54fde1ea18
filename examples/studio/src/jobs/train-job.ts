// A child process: fine-tunes a LoRA adapter on the project's SFT samples (`@lm-stack/lora`), checkpointing
// every step into models/checkpoints so a pause (the studio stops the process) resumes where it was, then
// exports what the model tab asks for into models/final.
import { join } from 'node:path';
import {
  fineTune,
  LORA_TARGETS,
  mergeAdapter,
  saveGgufAdapter,
  savePeftAdapter,
  splitChats,
} from '@lm-stack/lora';
import { type GeneratedRecord, readJsonl } from '@lm-stack/sft';
import { CHATML } from '@lm-stack/tokenizer';
import { selectBackend } from '@lm-stack/transformer';
import { exportGguf, importGguf, writeModelfile } from '@lm-stack/transformer/node';
import type { JobMessage } from './job-message.js';
import { trainJobInput } from './train-job-input.js';

const send = (message: JobMessage) => process.send?.(message);

try {
  const message = await new Promise<{ input?: unknown }>((resolve) => process.once('message', resolve));
  const input = trainJobInput.parse(message.input);
  await selectBackend(input.forceCpu ? 'cpu' : 'wasm');
  const samples = readJsonl<GeneratedRecord>(input.samples);
  if (samples.length === 0) throw new Error('no SFT samples: generate some in the SFT data tab first');
  const chats = samples.map((sample) => ({
    messages: [
      { role: 'user' as const, content: sample.instruction },
      { role: 'assistant' as const, content: sample.output },
    ],
  }));
  // A fifth held out for the validation loss, when there are enough samples for one.
  const { train, validation } = chats.length >= 5 ? splitChats(chats, 0.2) : { train: chats, validation: [] };
  const { model: base, tokenizer } = await importGguf(input.base);
  const steps = Math.max(1, Math.ceil((input.epochs * train.length) / input.batchSize));
  send({
    type: 'log',
    text: `${train.length} training and ${validation.length} validation samples, ${steps} steps`,
  });
  const started = performance.now();
  const { adapter, report } = await fineTune({
    base,
    tokenizer,
    train,
    ...(validation.length ? { validation } : {}),
    lora: { rank: input.rank, alpha: input.alpha, targets: [...LORA_TARGETS] },
    steps,
    batchSize: input.batchSize,
    learningRate: input.learningRate,
    runDirectory: input.runDirectory,
    checkpointEvery: 1, // LoRA checkpoints are small: a pause loses nothing
    onProgress: (progress) => {
      send({ type: 'progress', done: progress.step, total: progress.steps });
      send({ type: 'loss', loss: progress.loss });
      send({
        type: 'log',
        text: `step ${progress.step}/${progress.steps} loss ${progress.loss.toFixed(4)}, ${((performance.now() - started) / 1000).toFixed(0)} s, ETA ${progress.etaSeconds.toFixed(0)} s`,
      });
    },
  });
  const written: string[] = [];
  const adapterPath = join(input.finalFolder, 'adapter.gguf');
  await saveGgufAdapter(adapter, adapterPath, { name: 'studio' });
  written.push(adapterPath);
  if (input.peft) {
    await savePeftAdapter(adapter, base, join(input.finalFolder, 'adapter-peft'));
    written.push(join(input.finalFolder, 'adapter-peft'));
  }
  const exportOptions = { eos: '<|im_end|>', chatTemplate: CHATML } as const;
  const basePath = join(input.finalFolder, 'base-f32.gguf');
  await exportGguf(base, tokenizer, basePath, exportOptions);
  if (input.gguf) {
    mergeAdapter(base, adapter);
    const merged = join(input.finalFolder, `merged-${input.quantization.toLowerCase()}.gguf`);
    await exportGguf(base, tokenizer, merged, { ...exportOptions, types: input.quantization });
    written.push(merged);
  }
  if (input.modelfile) {
    writeModelfile(join(input.finalFolder, 'Modelfile'), {
      from: './base-f32.gguf',
      adapter: './adapter.gguf',
      chatTemplate: CHATML,
    });
    written.push(join(input.finalFolder, 'Modelfile'));
  }
  const loss = report.validationLoss
    ? `, validation loss ${report.validationLoss.before.toFixed(3)} → ${report.validationLoss.after.toFixed(3)}`
    : '';
  send({ type: 'log', text: `wrote ${written.join(', ')}` });
  send({
    type: 'done',
    summary: `trained ${steps} steps, final loss ${report.finalTrainLoss.toFixed(3)}${loss}; exported to ${input.finalFolder}`,
  });
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exitCode = 1;
}
