// lm-stack's WebAssembly SIMD kernels for tfjs (compiled by AssemblyScript: scripts/build-wasm.mjs). The
// module imports its memory, so one instance can run on the tfjs wasm backend's heap without copies.
export * from './cross-entropy';
export * from './gemm';
export * from './lstm-cell';
export * from './reduce';
