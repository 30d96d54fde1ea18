/** Everything a pipeline run does, as data: the same config gives the same artifacts. */
export interface PipelineRunConfig {
  /** Output folder: artifacts, stage records, report, manifest. */
  readonly out: string;
  /** A folder of your own `.txt`/`.md`/`.jsonl` files; default: State of the Union addresses and Moby-Dick. */
  readonly data?: string;
  /** Chat JSONL (`messages` or alpaca) for the fine-tune; default: questions about the State of the Union data. */
  readonly chat?: string;
  /** Keep every n-th default document (CI's micro run reads a few). Default 1: all. */
  readonly documentStride: number;
  readonly tokenizer: { readonly vocabSize: number };
  readonly model: {
    readonly contextLength: number;
    readonly dModel: number;
    readonly nLayers: number;
    readonly nHeads: number;
    readonly dFf: number;
    readonly steps: number;
    readonly batchSize: number;
    readonly learningRate: number;
  };
  /** Also train the LSTM on the same data, for comparison. */
  readonly lstm: boolean;
  readonly lora: {
    readonly rank: number;
    readonly steps: number;
    readonly batchSize: number;
    readonly learningRate: number;
  };
  /** The run fails unless these hold. */
  readonly gate: {
    /** The model's validation bits per byte must be below the unigram baseline's by at least this. */
    readonly bitsPerByteMargin: number;
    /** The adapter must lower the held-out chat loss (assistant tokens, nats) by at least this. */
    readonly chatLossImprovement: number;
  };
  /** Answer tokens per question in the chat stage. */
  readonly answerTokens: number;
  /** Stages to run (the others are taken from earlier runs or skipped). Default: all. */
  readonly stages: readonly StageName[];
}

/** The stages in order. */
export const STAGES = [
  'corpus',
  'tokenizer',
  'pretrain',
  'finetune',
  'gate',
  'export',
  'chat',
  'report',
] as const;
export type StageName = (typeof STAGES)[number];

/** The default run: under 10 minutes on 2 vCPUs. */
export const DEFAULT_CONFIG: PipelineRunConfig = {
  out: 'pipeline-out',
  documentStride: 1,
  tokenizer: { vocabSize: 1024 },
  model: {
    contextLength: 128,
    dModel: 128,
    nLayers: 4,
    nHeads: 4,
    dFf: 512,
    steps: 120,
    batchSize: 12,
    learningRate: 2e-3,
  },
  lstm: false,
  lora: { rank: 16, steps: 160, batchSize: 8, learningRate: 3e-3 },
  gate: { bitsPerByteMargin: 0.5, chatLossImprovement: 0.5 },
  answerTokens: 24,
  stages: STAGES,
};

/** Named presets: `micro` is CI's end-to-end run (same code path, a model of 70k parameters). */
export const PRESETS = new Map<string, Partial<PipelineRunConfig>>([
  ['default', {}],
  [
    'micro',
    {
      documentStride: 12,
      tokenizer: { vocabSize: 320 },
      model: {
        contextLength: 64,
        // 64, not 32: ggml's AMX kernel (the sapphirerapids CPU build, ggml-cpu/amx/mmq.cpp
        // tinygemm_kernel_amx) adds a Q8_0/Q4_0 product into uninitialised memory when a row is one 32-value
        // block and the batch is exactly 32 tokens, and llama.cpp then returns NaN logits on such machines.
        dModel: 64,
        nLayers: 1,
        nHeads: 2,
        dFf: 64,
        steps: 30,
        batchSize: 8,
        learningRate: 5e-3,
      },
      lora: { rank: 4, steps: 30, batchSize: 8, learningRate: 1e-2 },
      // A 30-step model of 70k parameters cannot promise a margin; the gate still runs and is reported.
      gate: { bitsPerByteMargin: -100, chatLossImprovement: -100 },
      answerTokens: 8,
    },
  ],
  [
    'long',
    {
      // The default model for about an hour: 1,300 × 12 × 128 tokens at the default run's 640 tokens/s is
      // 52 minutes, and 400 adapter steps of 8 × 64 at ~480 tokens/s 7 more.
      model: { ...DEFAULT_CONFIG.model, steps: 1300 },
      lora: { ...DEFAULT_CONFIG.lora, steps: 400 },
    },
  ],
]);

/** A config with `changes` applied over `base` (nested objects merged one level deep). */
export function withChanges(base: PipelineRunConfig, changes: Partial<PipelineRunConfig>): PipelineRunConfig {
  return {
    ...base,
    ...changes,
    tokenizer: { ...base.tokenizer, ...changes.tokenizer },
    model: { ...base.model, ...changes.model },
    lora: { ...base.lora, ...changes.lora },
    gate: { ...base.gate, ...changes.gate },
  };
}
