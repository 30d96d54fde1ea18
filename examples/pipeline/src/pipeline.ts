import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDocuments, runPipeline } from '@lm-stack/corpus';
import {
  type ChatExample,
  fineTune,
  loadGgufAdapter,
  mergeAdapter,
  readChatJsonl,
  saveGgufAdapter,
  splitChats,
} from '@lm-stack/lora';
import { BpeTokenizer, CHATML } from '@lm-stack/tokenizer';
import {
  evaluate,
  generate,
  LstmLm,
  MiniGpt,
  parameterCount,
  selectBackend,
  Trainer,
  type TrainingProgress,
} from '@lm-stack/transformer';
import {
  exportGguf,
  importGguf,
  loadCheckpoint,
  saveCheckpoint,
  shardTokens,
  writeModelfile,
} from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import type { PipelineRunConfig, StageName } from './config.js';
import { defaultCorpusLines, sotuAddresses } from './default-corpus.js';
import { llamaChecks } from './llama-checks.js';
import { progressBar } from './progress-bar.js';
import { sotuChats } from './sotu-chat.js';
import { cachedStage, keyOf, type StageRecord } from './stage-cache.js';
import { unigramLoss } from './unigram.js';

const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const EXPORT_OPTIONS = { eos: '<|endoftext|>', chatTemplate: CHATML } as const;

/** The run failed its evaluation gate: names the measured value and the threshold. */
export class GateError extends Error {
  override name = 'GateError';
}

function jsonlTexts(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

/** The chat data: the user's JSONL, or questions about the State of the Union data set. */
export function chatData(config: PipelineRunConfig): ChatExample[] {
  return config.chat ? readChatJsonl(config.chat) : sotuChats(sotuAddresses());
}

/**
 * Runs the pipeline stage by stage; each stage is skipped when an earlier run finished it with the same
 * inputs and config. `log` receives one line per event.
 */
export async function runPipelineStages(
  config: PipelineRunConfig,
  log: (line: string) => void = console.log,
) {
  const { out } = config;
  mkdirSync(out, { recursive: true });
  await selectBackend('wasm');
  const stages = new Map<StageName, { record: StageRecord<unknown>; cached: boolean }>();
  const want = (stage: StageName) => config.stages.includes(stage);
  const stage = async <T>(
    name: StageName,
    key: unknown,
    run: () => Promise<{ result: T; artifacts: readonly string[] }>,
  ): Promise<StageRecord<T>> => {
    if (!want(name)) {
      const path = join(out, 'stages', `${name}.json`);
      if (!existsSync(path)) throw new Error(`stage ${name} is not selected and no earlier run finished it`);
      const record = JSON.parse(readFileSync(path, 'utf8')) as StageRecord<T>;
      stages.set(name, { record, cached: true });
      return record;
    }
    log(`— ${name}`);
    const done = await cachedStage(out, name, keyOf(key), run);
    stages.set(name, done);
    log(
      done.cached
        ? `  (finished in an earlier run; skipped)`
        : `  done in ${done.record.seconds.toFixed(1)} s`,
    );
    return done.record;
  };

  // 1. corpus: clean, filter, deduplicate, split by group (a president, ten chapters) into JSONL.
  const corpusDirectory = join(out, 'corpus');
  const rawPath = join(out, 'raw', 'documents.jsonl');
  const corpus = await stage(
    'corpus',
    { data: config.data ?? 'default', stride: config.documentStride, v: 1 },
    async () => {
      mkdirSync(join(out, 'raw'), { recursive: true });
      const lines: string[] = [];
      if (config.data)
        // Each of the user's files (or JSONL lines) its own group, so even one folder splits into train and
        // validation.
        for await (const document of readDocuments([config.data]))
          lines.push(
            JSON.stringify({
              id: document.id,
              source: document.source,
              group: document.id,
              text: document.text,
            }),
          );
      else lines.push(...defaultCorpusLines(config.documentStride));
      writeFileSync(rawPath, `${lines.join('\n')}\n`);
      const result = await runPipeline({
        inputs: [rawPath],
        directory: corpusDirectory,
        split: { ratios: { train: 0.9, validation: 0.1, test: 0 } },
        onProgress: (message) => log(`  ${message}`),
      });
      if (result.splits.validation.documents === 0)
        throw new Error(
          `the validation split is empty (${result.splits.train.documents} training documents): give more documents`,
        );
      return {
        result: {
          documents: { train: result.splits.train.documents, validation: result.splits.validation.documents },
          summary: result.summary,
        },
        artifacts: [result.splits.train.path, result.splits.validation.path],
      };
    },
  );
  const trainJsonl = join(corpusDirectory, 'documents', 'train.jsonl');
  const validationJsonl = join(corpusDirectory, 'documents', 'validation.jsonl');

  // 2. tokenizer: byte-level BPE on the training split, then every split packed into token shards.
  const tokenizerPath = join(out, 'tokenizer', 'tokenizer.json');
  const tokenized = await stage(
    'tokenizer',
    { corpus: corpus.key, vocabSize: config.tokenizer.vocabSize },
    async () => {
      const texts = jsonlTexts(trainJsonl);
      const started = performance.now();
      const tokenizer = await BpeTokenizer.train(texts, {
        vocabSize: config.tokenizer.vocabSize,
        specialTokens: SPECIALS,
      });
      const trainSeconds = (performance.now() - started) / 1000;
      mkdirSync(join(out, 'tokenizer'), { recursive: true });
      writeFileSync(tokenizerPath, JSON.stringify(tokenizer.toJSON()));
      const packed = await runPipeline({
        inputs: [rawPath],
        directory: corpusDirectory,
        split: { ratios: { train: 0.9, validation: 0.1, test: 0 } },
        pack: { tokenizer, shardTokens: 1_000_000, eos: '<|endoftext|>' },
      });
      const validationText = jsonlTexts(validationJsonl).join('');
      const validationTokens = packed.manifests.validation!.tokens;
      return {
        result: {
          trainSeconds,
          trainTokens: packed.manifests.train!.tokens,
          validationTokens,
          // bits per byte needs UTF-8 bytes per token; the EOS after each document has no bytes, a small bias
          validationBytesPerToken: Buffer.byteLength(validationText) / validationTokens,
        },
        artifacts: [
          tokenizerPath,
          join(corpusDirectory, 'shards', 'train.manifest.json'),
          join(corpusDirectory, 'shards', 'validation.manifest.json'),
        ],
      };
    },
  );
  const tokenizer = BpeTokenizer.fromJSON(readFileSync(tokenizerPath, 'utf8'));
  const trainManifest = join(corpusDirectory, 'shards', 'train.manifest.json');
  const validationManifest = join(corpusDirectory, 'shards', 'validation.manifest.json');

  // 3. pretrain: MiniGPT (and optionally the LSTM) with checkpoints every 25 steps; a killed run resumes.
  const basePath = join(out, 'pretrain', 'base-f32.gguf');
  const pretrain = await stage(
    'pretrain',
    { tokenizer: tokenized.key, model: config.model, lstm: config.lstm },
    async () => {
      const train = shardTokens(trainManifest);
      const validation = shardTokens(validationManifest);
      const { steps, batchSize, learningRate, ...shape } = config.model;
      const trainOne = async (label: string, model: MiniGpt | LstmLm, directory: string) => {
        const history: Array<[number, number]> = [];
        const evaluations: Array<{ step: number; loss: number; bitsPerByte: number }> = [];
        const bar = progressBar(label);
        const trainer = new Trainer({
          model,
          train,
          validation,
          validationBytesPerToken: tokenized.result.validationBytesPerToken,
          batchSize,
          steps,
          learningRate: { peak: learningRate, warmupSteps: Math.ceil(steps / 10), decaySteps: steps },
          evalEvery: Math.max(1, Math.round(steps / 4)),
          evalBatches: 8,
          onProgress: (progress: TrainingProgress) => {
            history.push([progress.step, progress.loss]);
            if (progress.validation)
              evaluations.push({
                step: progress.step,
                loss: progress.validation.loss,
                bitsPerByte: progress.validation.bitsPerByte!,
              });
            bar(progress);
          },
          afterStep: async (current, progress) => {
            if (progress.step % 25 === 0 || progress.step === steps)
              await saveCheckpoint(directory, current, { keepLast: 1 });
          },
        });
        if (existsSync(join(directory, 'checkpoints.json'))) {
          loadCheckpoint(directory, 'latest', { into: model }).resume(trainer);
          log(`  resuming ${label} from step ${trainer.step}`);
        }
        const last = trainer.step < steps ? await trainer.fit() : undefined;
        trainer.dispose();
        const final = evaluate(model, validation, {
          batchSize,
          sequenceLength: model.contextLength,
          maxBatches: 8,
          bytesPerToken: tokenized.result.validationBytesPerToken,
        });
        return {
          parameters: parameterCount(model),
          history,
          evaluations,
          tokensPerSecond: last?.tokensPerSecond ?? null,
          validation: final,
        };
      };
      const model = new MiniGpt({ vocabSize: tokenizer.vocabSize, ...shape }, 1);
      const minigpt = await trainOne('MiniGPT', model, join(out, 'pretrain', 'checkpoints'));
      mkdirSync(join(out, 'pretrain'), { recursive: true });
      await exportGguf(model, tokenizer, basePath, EXPORT_OPTIONS);
      const samples: string[] = [];
      for (const [i, prompt] of ['Fellow-citizens of the Senate', 'The whale'].entries()) {
        let text = prompt;
        for await (const piece of generate(model, tokenizer, prompt, {
          maxTokens: 40,
          temperature: 0.8,
          topP: 0.95,
          seed: i + 1,
        }))
          text += piece.text;
        samples.push(text);
      }
      model.dispose();
      let lstm: Awaited<ReturnType<typeof trainOne>> | undefined;
      if (config.lstm) {
        const recurrent = new LstmLm(
          {
            vocabSize: tokenizer.vocabSize,
            contextLength: shape.contextLength,
            embeddingSize: shape.dModel,
            hiddenSize: shape.dModel * 2,
            nLayers: 1,
          },
          1,
        );
        lstm = await trainOne('LSTM', recurrent, join(out, 'pretrain', 'lstm-checkpoints'));
        recurrent.dispose();
      }
      train.close();
      validation.close();
      return { result: { minigpt, lstm: lstm ?? null, samples }, artifacts: [basePath] };
    },
  );

  // 4. fine-tune: a LoRA adapter on the chat data, assistant-only loss.
  const adapterPath = join(out, 'finetune', 'adapter.gguf');
  const chats = chatData(config);
  const { train: chatTrain, validation: chatValidation } = splitChats(chats, 0.1);
  const finetune = await stage(
    'finetune',
    { pretrain: pretrain.key, lora: config.lora, chats: chats.length, chat: config.chat ?? 'sotu' },
    async () => {
      const { model: base } = await importGguf(basePath);
      const history: Array<[number, number]> = [];
      const bar = progressBar('LoRA');
      const { adapter, report } = await fineTune({
        base,
        tokenizer,
        train: chatTrain,
        validation: chatValidation,
        lora: {
          rank: config.lora.rank,
          targets: ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down', 'output'],
        },
        steps: config.lora.steps,
        batchSize: config.lora.batchSize,
        sequenceLength: Math.min(64, base.contextLength),
        learningRate: {
          peak: config.lora.learningRate,
          warmupSteps: Math.ceil(config.lora.steps / 10),
          decaySteps: config.lora.steps,
        },
        runDirectory: join(out, 'finetune', 'run'),
        checkpointEvery: 25,
        onProgress: (progress) => {
          history.push([progress.step, progress.loss]);
          bar(progress);
        },
      });
      await saveGgufAdapter(adapter, adapterPath, { name: 'pipeline-chat' });
      adapter.dispose();
      base.dispose();
      return {
        result: { report, history, examples: { train: chatTrain.length, validation: chatValidation.length } },
        artifacts: [adapterPath],
      };
    },
  );

  // 5. eval gate: the model must beat a unigram baseline, the adapter must improve the chat loss.
  const gate = await stage(
    'gate',
    { pretrain: pretrain.key, finetune: finetune.key, gate: config.gate },
    async () => {
      const train = shardTokens(trainManifest);
      const validation = shardTokens(validationManifest);
      const baselineLoss = unigramLoss(train, validation, tokenizer.vocabSize);
      train.close();
      validation.close();
      const bytesPerToken = tokenized.result.validationBytesPerToken;
      const baselineBitsPerByte = baselineLoss / Math.LN2 / bytesPerToken;
      const modelBitsPerByte = pretrain.result.minigpt.validation.bitsPerByte!;
      const chatLoss = finetune.result.report.validationLoss!;
      const result = { baselineBitsPerByte, modelBitsPerByte, chatLoss, thresholds: config.gate };
      return { result, artifacts: [] };
    },
  );
  const { baselineBitsPerByte, modelBitsPerByte, chatLoss } = gate.result;
  if (modelBitsPerByte > baselineBitsPerByte - config.gate.bitsPerByteMargin)
    throw new GateError(
      `validation bits per byte ${modelBitsPerByte.toFixed(3)} does not beat the unigram baseline ${baselineBitsPerByte.toFixed(3)} by the required ${config.gate.bitsPerByteMargin}`,
    );
  if (chatLoss.after > chatLoss.before - config.gate.chatLossImprovement)
    throw new GateError(
      `held-out chat loss ${chatLoss.before.toFixed(3)} → ${chatLoss.after.toFixed(3)} does not improve by the required ${config.gate.chatLossImprovement}`,
    );

  // 6. quantize and export: F32, Q8_0, Q4_0, the adapter, a merged model, Modelfiles.
  const exportDirectory = join(out, 'export');
  const exported = await stage(
    'export',
    { pretrain: pretrain.key, finetune: finetune.key, v: 1 },
    async () => {
      mkdirSync(exportDirectory, { recursive: true });
      const { model: base } = await importGguf(basePath);
      const files: string[] = [];
      for (const type of ['F32', 'Q8_0', 'Q4_0'] as const) {
        const path = join(exportDirectory, `model-${type.toLowerCase()}.gguf`);
        await exportGguf(base, tokenizer, path, { ...EXPORT_OPTIONS, types: type });
        files.push(path);
      }
      copyFileSync(adapterPath, join(exportDirectory, 'adapter.gguf'));
      files.push(join(exportDirectory, 'adapter.gguf'));
      const adapter = await loadGgufAdapter(adapterPath, base);
      mergeAdapter(base, adapter);
      await exportGguf(base, tokenizer, join(exportDirectory, 'merged-f32.gguf'), EXPORT_OPTIONS);
      files.push(join(exportDirectory, 'merged-f32.gguf'));
      adapter.dispose();
      base.dispose();
      writeModelfile(join(exportDirectory, 'Modelfile'), {
        from: './model-q8_0.gguf',
        adapter: './adapter.gguf',
        chatTemplate: CHATML,
      });
      writeModelfile(join(exportDirectory, 'Modelfile.merged'), {
        from: './merged-f32.gguf',
        chatTemplate: CHATML,
      });
      files.push(join(exportDirectory, 'Modelfile'), join(exportDirectory, 'Modelfile.merged'));
      const sizes = Object.fromEntries(
        files.map((file) => [file.slice(exportDirectory.length + 1), statSync(file).size]),
      );
      return { result: { sizes }, artifacts: files };
    },
  );

  // 7. chat: llama.cpp runs the exports; logits checked against ours; answers before and after fine-tuning.
  const question = (example: ChatExample) =>
    example.messages.find((message) => message.role === 'user')!.content;
  // Three trained questions spread over the data, and two held out.
  const spread = [0, 1, 2].map((i) => chatTrain[Math.floor((i * chatTrain.length) / 3)]!).filter(Boolean);
  const questions = [...spread.map(question), ...chatValidation.slice(0, 2).map(question)];
  const chat = await stage(
    'chat',
    { export: exported.key, questions, answerTokens: config.answerTokens },
    async () => {
      const validationIds = shardTokens(validationManifest);
      const ids = Array.from(validationIds.read(0, Math.min(32, validationIds.length)));
      validationIds.close();
      const { model: ours } = await importGguf(basePath);
      const reference = tf.tidy(
        () => ours.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]!,
      );
      ours.dispose();
      const result = await llamaChecks({
        directory: exportDirectory,
        ids,
        reference,
        questions,
        held: spread.length,
        answerTokens: config.answerTokens,
      });
      return { result, artifacts: [] };
    },
  );

  return { stages, corpus, tokenized, pretrain, finetune, gate, exported, chat };
}
