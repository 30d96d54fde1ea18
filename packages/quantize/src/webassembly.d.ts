// The few WebAssembly JS-API names this package uses. They live in TypeScript's DOM lib, which the repo
// does not load (Node-and-browser packages should not see `document`); Node and browsers both provide them.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
}
