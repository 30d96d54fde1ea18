// The few WebAssembly JS-API names lm-stack uses (quantize's and transformer's kernels). They live in
// TypeScript's DOM lib, which the repo does not load (Node-and-browser packages should not see `document`);
// Node and browsers both provide them. Packages that use them list this folder in their tsconfig.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
}
