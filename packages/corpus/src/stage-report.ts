import type { CorpusDocument, DocumentStream } from './document.js';

/** Counts for one stage of a pipeline run. */
export interface StageCounts {
  readonly stage: string;
  documentsIn: number;
  documentsOut: number;
  bytesIn: number;
  bytesOut: number;
  milliseconds: number;
  /** Removal reasons (rule → count), for stages that report them. */
  readonly reasons: Record<string, number>;
}

/**
 * Collects per-stage counts, bytes, removal reasons and timings for a pipeline run, as JSON (`toJSON`) and
 * as a short human summary (`summary`). Wrap each stage's output with `measure`; pass `reason` as the
 * exclusion callback of stages that drop documents.
 *
 * @example
 * ```ts
 * const report = new PipelineReport();
 * const read = report.measure('read', readDocuments(['data/']));
 * const kept = report.measure('filter', filterDocuments(read, {}, (entry) => report.reason('filter', entry.rule)));
 * for await (const document of kept) use(document);
 * console.log(report.summary());
 * ```
 */
export class PipelineReport {
  private readonly stages = new Map<string, StageCounts>();
  /** Time already charged to stages during the current pull, so an outer stage does not count an inner one's. */
  private charged = 0;

  private stage(name: string): StageCounts {
    let counts = this.stages.get(name);
    if (!counts) {
      counts = {
        stage: name,
        documentsIn: 0,
        documentsOut: 0,
        bytesIn: 0,
        bytesOut: 0,
        milliseconds: 0,
        reasons: {},
      };
      this.stages.set(name, counts);
    }
    return counts;
  }

  /** Counts a removal reason for a stage. */
  reason(stage: string, rule: string): void {
    const reasons = this.stage(stage).reasons;
    reasons[rule] = (reasons[rule] ?? 0) + 1;
  }

  /**
   * Passes a stage's output through, counting documents and UTF-8 bytes and the time the stage itself spent
   * (time spent in earlier measured stages during the same pull is not counted twice). Stages are listed in
   * the order `measure` is called; a stage's input is the previous stage's output.
   */
  measure(name: string, output: DocumentStream): AsyncGenerator<CorpusDocument> {
    const previous = [...this.stages.values()].at(-1);
    const counts = this.stage(name);
    return this.pass(counts, previous, output);
  }

  private async *pass(
    counts: StageCounts,
    previous: StageCounts | undefined,
    output: DocumentStream,
  ): AsyncGenerator<CorpusDocument> {
    const iterator = (
      Symbol.asyncIterator in output ? output[Symbol.asyncIterator]() : output[Symbol.iterator]()
    ) as AsyncIterator<CorpusDocument> | Iterator<CorpusDocument>;
    for (;;) {
      const chargedBefore = this.charged;
      const started = performance.now();
      const next = await iterator.next();
      const elapsed = performance.now() - started;
      counts.milliseconds += elapsed - (this.charged - chargedBefore);
      this.charged = chargedBefore + elapsed;
      if (next.done) break;
      counts.documentsOut++;
      counts.bytesOut += Buffer.byteLength(next.value.text);
      yield next.value;
    }
    counts.documentsIn = previous ? previous.documentsOut : counts.documentsOut;
    counts.bytesIn = previous ? previous.bytesOut : counts.bytesOut;
  }

  /** Adds stages measured by an earlier run (a resumed pipeline reports the stages it skipped). */
  restore(stages: readonly StageCounts[]): void {
    for (const counts of stages) this.stages.set(counts.stage, { ...counts, reasons: { ...counts.reasons } });
  }

  /** Every stage's counts, in pipeline order. */
  toJSON(): StageCounts[] {
    return [...this.stages.values()];
  }

  /** One line a stage: documents and MB in → out, time, and the three most frequent removal reasons. */
  summary(): string {
    return this.toJSON()
      .map((counts) => {
        const top = Object.entries(counts.reasons)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([rule, count]) => `${rule} ${count}`)
          .join(', ');
        const megabytes = (bytes: number) => (bytes / 1e6).toFixed(2);
        return `${counts.stage}: ${counts.documentsIn} → ${counts.documentsOut} documents, ${megabytes(counts.bytesIn)} → ${megabytes(counts.bytesOut)} MB, ${(counts.milliseconds / 1000).toFixed(2)} s${top ? ` (${top})` : ''}`;
      })
      .join('\n');
  }
}
