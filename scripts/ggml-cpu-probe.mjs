#!/usr/bin/env node
// Prints the ggml CPU build that node-llama-cpp loads on this machine (read from the process's memory map).
import { readFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const match = /libggml-cpu-([a-z0-9_]+)\.so/.exec(readFileSync('/proc/self/maps', 'utf8'));
console.log(match ? match[1] : 'none');
await llama.dispose();
