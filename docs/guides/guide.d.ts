// The `guide` global that guide-runtime.mjs gives the guides' code blocks (for the type check of the blocks).
declare global {
  var guide: {
    /** Saves `svg` as `images/<guide>-<name>.svg` and shows it after the block's text. */
    svg(name: string, svg: string): void;
    /** Inserts `text` as Markdown (a table, a list) after the block. */
    markdown(text: string): void;
    begin(index: number): void;
    finish(): void;
  };
}

export {};
