/** A learning-rate schedule: linear warmup, then cosine, linear or constant decay down to a floor. */
export interface LearningRateSchedule {
  /** Peak learning rate, reached at the end of warmup. */
  readonly peak: number;
  readonly warmupSteps?: number;
  /** Step at which the decay reaches `floor` (usually the total number of steps). */
  readonly decaySteps: number;
  readonly decay?: 'cosine' | 'linear' | 'constant';
  /** Lowest learning rate after warmup. Default peak / 10 (nanoGPT's min_lr). */
  readonly floor?: number;
}

/**
 * The learning rate at `step` (0-based), as nanoGPT's get_lr: (step + 1)/warmup · peak during warmup, then
 * the decay from peak to floor over [warmup, decaySteps], then the floor.
 *
 * @example
 * ```ts
 * learningRateAt(0, { peak: 1e-3, warmupSteps: 10, decaySteps: 100 }); // 1e-4
 * learningRateAt(55, { peak: 1e-3, warmupSteps: 10, decaySteps: 100 }); // 5.5e-4: halfway down the cosine
 * ```
 */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  const warmup = schedule.warmupSteps ?? 0;
  const floor = schedule.floor ?? schedule.peak / 10;
  if (step < warmup) return (schedule.peak * (step + 1)) / warmup;
  if (schedule.decay === 'constant') return schedule.peak;
  if (step >= schedule.decaySteps) return floor;
  const progress = (step - warmup) / Math.max(1, schedule.decaySteps - warmup); // 0 → 1
  const share = schedule.decay === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return floor + share * (schedule.peak - floor);
}
