'use strict';
// Loads the AVX2 GEMM addon built by build.mjs. Exports `gemm`, `setThreads`, `parallelJobs` (null when the addon is missing, fails to load
// or the CPU lacks AVX2/FMA) and `reason`, which says why it is null.
const { join } = require('node:path');

let gemm = null;
let setThreads = null;
let parallelJobs = null;
let reason = '';
if (process.env.LM_STACK_NATIVE === '0') reason = 'LM_STACK_NATIVE=0';
else
  try {
    const addon = require(join(__dirname, 'build', 'lm-stack-kernels.node'));
    if (addon.supported()) ({ gemm, setThreads, parallelJobs } = addon);
    else reason = 'this CPU lacks AVX2 or FMA';
  } catch (error) {
    reason = `the addon is not built (node native/build.mjs needs a C compiler): ${error.message.split('\n')[0]}`;
  }

module.exports = { gemm, setThreads, parallelJobs, reason };
