/** One alternative at a position: a token, its UTF-8 bytes, and its log-probability. */
export interface TokenChoice {
  readonly token: string;
  readonly bytes: readonly number[];
  readonly logprob: number;
}

/** A generated token's log-probability and the most likely tokens at its position (OpenAI's `logprobs`). */
export interface TokenLogprob extends TokenChoice {
  readonly top: readonly TokenChoice[];
}

/** Most alternatives per position a request may ask for (OpenAI's `top_logprobs` limit). */
export const MAX_TOP_LOGPROBS = 20;

/**
 * The log-probability of `chosen` under softmax(`logits`) — the model's own distribution, before temperature
 * and top-p — and the `top` most likely tokens, highest first. Log-sum-exp in float64 from the largest logit.
 *
 * @example
 * ```ts
 * // logits [2, 1, 0]: log-sum-exp = 2 + ln(1 + e^-1 + e^-2) = 2.4076; logprob of token 0 = 2 - 2.4076 = -0.4076
 * logprobAt(new Float32Array([2, 1, 0]), 0, 1, (id) => new Uint8Array([97 + id])).logprob; // -0.4076
 * ```
 */
export function logprobAt(
  logits: ArrayLike<number>,
  chosen: number,
  top: number,
  bytesOf: (id: number) => Uint8Array,
): TokenLogprob {
  let max = Number.NEGATIVE_INFINITY;
  for (let id = 0; id < logits.length; id++) if (logits[id]! > max) max = logits[id]!;
  let sum = 0;
  for (let id = 0; id < logits.length; id++) sum += Math.exp(logits[id]! - max);
  const logSumExp = max + Math.log(sum);
  const choice = (id: number): TokenChoice => {
    const bytes = bytesOf(id);
    return { token: new TextDecoder().decode(bytes), bytes: [...bytes], logprob: logits[id]! - logSumExp };
  };
  // The top k in one pass over the vocabulary: a sorted list of at most k (k ≤ 20).
  const best: number[] = [];
  for (let id = 0; id < logits.length && top > 0; id++) {
    if (best.length === top && logits[id]! <= logits[best[top - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]!]! < logits[id]!) at--;
    best.splice(at, 0, id);
    if (best.length > top) best.pop();
  }
  return { ...choice(chosen), top: best.map(choice) };
}

/** One entry of a chat completion's `logprobs.content`, as OpenAI writes it. */
export function chatLogprob({ token, bytes, logprob, top }: TokenLogprob) {
  return {
    token,
    logprob,
    bytes: [...bytes],
    top_logprobs: top.map((choice) => ({
      token: choice.token,
      logprob: choice.logprob,
      bytes: [...choice.bytes],
    })),
  };
}

/** A legacy completion's `logprobs`: parallel arrays, alternatives as token → logprob, character offsets. */
export function completionLogprobs(tokens: readonly TokenLogprob[]) {
  let offset = 0;
  const textOffset: number[] = [];
  for (const { token } of tokens) {
    textOffset.push(offset);
    offset += token.length;
  }
  return {
    tokens: tokens.map(({ token }) => token),
    token_logprobs: tokens.map(({ logprob }) => logprob),
    // Object.fromEntries of token texts from the model's own vocabulary, sent as JSON; never read back.
    top_logprobs: tokens.map(({ top }) =>
      Object.fromEntries(top.map((choice) => [choice.token, choice.logprob])),
    ),
    text_offset: textOffset,
  };
}
