import { describe, expect, it } from 'vitest';
import { runQuickstart } from './quickstart.js';

describe('quickstart', () => {
  it('trains, measures and renders on a small corpus', async () => {
    const texts = Array.from(
      { length: 50 },
      (_, i) => `Call me Ishmael, said sailor number ${i}. The whale is white.`,
    );
    const { report } = await runQuickstart(texts, ['The whale is white and the sea is wide.'], 400);
    expect(report.vocabSize).toBe(256 + report.merges + 3);
    expect(report.sample.roundTrip).toBe(true);
    expect(report.chat.trainedText).toBe('Captain Ahab.<|im_end|>');
    expect(report.bytesPerToken.ours).toBeGreaterThan(1);
  });
});
