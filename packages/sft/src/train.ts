// `@lm-stack/sft/train`: the LoRA fine-tuning step, a separate entry so that importing the data tools never
// loads TensorFlow.js.
export { type TrainAdapterOptions, type TrainedAdapter, trainAdapter } from './train-adapter.js';
