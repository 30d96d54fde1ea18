/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { await loadPeftAdapter('adapter', base); } catch (error) { if (error instanceof LoraError) console.log(error.message); }
 * ```
 */
export class LoraError extends Error {
  override name = 'LoraError';
}

/**
 * A LoRA setting is out of range: names the field, the value and the rule.
 *
 * @example
 * ```ts
 * parseLoraConfig({ rank: 0 }); // LoraConfigError: rank 0: must be an integer from 1 to 4096
 * ```
 */
export class LoraConfigError extends LoraError {
  override name = 'LoraConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${field} ${JSON.stringify(value)}: ${rule}`);
  }
}

/**
 * An adapter was made for another base model: its recorded base hash or a tensor shape does not match.
 *
 * @example
 * ```ts
 * await loadGgufAdapter('support-v3.gguf', otherBase);
 * // AdapterMismatchError: support-v3.gguf: base model sha256 1f2e… is not this model's 9a8b…
 * ```
 */
export class AdapterMismatchError extends LoraError {
  override name = 'AdapterMismatchError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * An adapter file or folder is malformed: a missing or wrongly typed key, an unknown tensor, a bad count.
 *
 * @example
 * ```ts
 * await loadPeftAdapter('adapter', base); // AdapterFormatError: adapter/adapter_config.json: peft_type "IA3" is not "LORA"
 * ```
 */
export class AdapterFormatError extends LoraError {
  override name = 'AdapterFormatError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * An adapter comes only as a pickle (`adapter_model.bin`, `.pt`): loading one runs arbitrary code, so it is
 * refused. Convert it to safetensors where you trust it.
 *
 * @example
 * ```ts
 * await loadPeftAdapter('old-adapter', base); // PickleAdapterError: old-adapter/adapter_model.bin is a pickle …
 * ```
 */
export class PickleAdapterError extends LoraError {
  override name = 'PickleAdapterError';
  constructor(readonly path: string) {
    super(
      `${path} is a pickle file, which can run arbitrary code when loaded; refused. Save the adapter as adapter_model.safetensors`,
    );
  }
}

/**
 * A line of a chat dataset is not a conversation: bad JSON, a missing field, an unknown role, too long.
 *
 * @example
 * ```ts
 * parseChatJsonl('{"messages": [{"role": "robot", "content": "hi"}]}', 'chat.jsonl');
 * // ChatDataError: chat.jsonl:1: messages[0].role "robot" is not system, user or assistant
 * ```
 */
export class ChatDataError extends LoraError {
  override name = 'ChatDataError';
  constructor(
    readonly source: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${source}:${line}: ${problem}`);
  }
}
