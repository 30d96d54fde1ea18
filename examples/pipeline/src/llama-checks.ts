import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ControlledEvaluateInputItem, getLlama, LlamaChatSession, type Token } from 'node-llama-cpp';

/** What the chat stage measured in llama.cpp. */
export interface LlamaChecks {
  /** max |llama.cpp − ours| over every logit at every position, F32 export. */
  readonly f32MaxDifference: number;
  /** Per quantized export: max |Δ| against llama.cpp's F32 logits and top-1 agreement. */
  readonly quantization: Record<string, { readonly maxDifference: number; readonly topOneAgreement: number }>;
  readonly positions: number;
  readonly answers: Array<{
    readonly question: string;
    readonly heldOut: boolean;
    readonly base: string;
    readonly adapter: string;
    readonly merged: string;
  }>;
}

/** llama.cpp returned a logit that is NaN or infinite: the check stops instead of reporting NaN. */
export class NonFiniteLogitsError extends Error {
  override name = 'NonFiniteLogitsError';
  constructor(
    readonly file: string,
    readonly position: number,
    readonly token: number,
    readonly value: number,
    readonly ggmlBuild: string,
  ) {
    super(
      `llama.cpp returned logit ${value} for token ${token} at position ${position} of ${file} (ggml CPU build ${ggmlBuild})` +
        (ggmlBuild === 'sapphirerapids'
          ? '; the AMX kernel of this build leaves a Q8_0/Q4_0 product uninitialised when its rows are one block (32 values) and the batch is 32 tokens'
          : ''),
    );
  }
}

/** The ggml CPU build node-llama-cpp loaded into this process (`'zen4'`, `'haswell'`, …). */
function loadedGgmlBuild(): string {
  try {
    return /libggml-cpu-([a-z0-9_]+)\.so/.exec(readFileSync('/proc/self/maps', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Throws NonFiniteLogitsError at the first logit of `rows` that is not a finite number. */
export function assertFiniteLogits(file: string, rows: readonly Float32Array[]): void {
  for (const [position, row] of rows.entries())
    for (let token = 0; token < row.length; token++)
      if (!Number.isFinite(row[token]!))
        throw new NonFiniteLogitsError(file, position, token, row[token]!, loadedGgmlBuild());
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

/**
 * Loads the exports in llama.cpp (node-llama-cpp's prebuilt CPU build, one thread, F32 KV cache):
 * logits of the F32 file against ours, the quantized files against the F32 one, then each question asked
 * of the base alone, the base with the adapter, and the merged model, greedy.
 */
export async function llamaChecks(options: {
  directory: string;
  ids: number[];
  reference: number[][];
  questions: string[];
  /** The first `held` questions were trained on; the rest are held out. */
  held: number;
  answerTokens: number;
}): Promise<LlamaChecks> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const vocab = options.reference[0]!.length;
  const logitsOf = async (file: string) => {
    const model = await llama.loadModel({ modelPath: join(options.directory, file) });
    const context = await model.createContext({
      contextSize: Math.max(64, options.ids.length),
      threads: 1,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
      flashAttention: false,
    });
    const input: ControlledEvaluateInputItem[] = options.ids.map((id) => [
      id as Token,
      { generateNext: { logits: true } },
    ]);
    const output = await context.getSequence().controlledEvaluate(input);
    const rows = output.map((item) => {
      const row = new Float32Array(vocab);
      for (const [token, logit] of item!.next.logits!) row[token as number] = logit;
      return row;
    });
    await context.dispose();
    await model.dispose();
    assertFiniteLogits(file, rows);
    return rows;
  };
  const f32 = await logitsOf('model-f32.gguf');
  let f32MaxDifference = 0;
  f32.forEach((row, position) => {
    for (let token = 0; token < vocab; token++)
      f32MaxDifference = Math.max(
        f32MaxDifference,
        Math.abs(row[token]! - options.reference[position]![token]!),
      );
  });
  const quantization: LlamaChecks['quantization'] = {};
  for (const type of ['q8_0', 'q4_0']) {
    const rows = await logitsOf(`model-${type}.gguf`);
    let maxDifference = 0;
    let agree = 0;
    rows.forEach((row, position) => {
      for (let token = 0; token < vocab; token++)
        maxDifference = Math.max(maxDifference, Math.abs(row[token]! - f32[position]![token]!));
      if (argmax(row) === argmax(f32[position]!)) agree++;
    });
    quantization[type.toUpperCase()] = { maxDifference, topOneAgreement: agree / rows.length };
  }

  const ask = async (file: string, adapter: boolean, question: string) => {
    const model = await llama.loadModel({ modelPath: join(options.directory, file) });
    const context = await model.createContext({
      contextSize: 256,
      threads: 1,
      ...(adapter ? { lora: { adapters: [{ filePath: join(options.directory, 'adapter.gguf') }] } } : {}),
    });
    // No system prompt: the adapter was trained without one. llama.cpp reads ChatML from the file.
    const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: '' });
    const answer = await session.prompt(question, { temperature: 0, maxTokens: options.answerTokens });
    await context.dispose();
    await model.dispose();
    return answer.trim().replaceAll('\n', ' ');
  };
  const answers: LlamaChecks['answers'] = [];
  for (const [i, question] of options.questions.entries())
    answers.push({
      question,
      heldOut: i >= options.held,
      base: await ask('model-f32.gguf', false, question),
      adapter: await ask('model-f32.gguf', true, question),
      merged: await ask('merged-f32.gguf', false, question),
    });
  await llama.dispose();
  return { f32MaxDifference, quantization, positions: options.ids.length, answers };
}
