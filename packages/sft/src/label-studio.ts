import { asRecord } from './dataset-format.js';
import { DatasetFormatError } from './errors.js';
import type { PreferencePair } from './preference-pair.js';

/**
 * Label Studio's labeling config for the tasks {@link toLabelStudioTasks} writes (its "Pairwise
 * Classification" template: a `Pairwise` control over two `Text` objects, with the prompt shown above).
 */
export const LABEL_STUDIO_PAIRWISE_CONFIG = `<View>
  <Header value="Which answer is better?"/>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>`;

/** A prompt with two candidate answers, for a human to compare. */
export interface PairwiseCandidate {
  readonly prompt: string;
  readonly answer1: string;
  readonly answer2: string;
}

/**
 * Label Studio import JSON: one task per candidate, `{"data": {"prompt", "answer1", "answer2"}}`, to load
 * into a project set up with {@link LABEL_STUDIO_PAIRWISE_CONFIG}.
 *
 * @example
 * ```ts
 * writeFileSync('tasks.json', JSON.stringify(toLabelStudioTasks(candidates), null, 2));
 * ```
 */
export function toLabelStudioTasks(candidates: readonly PairwiseCandidate[]): { data: PairwiseCandidate }[] {
  return candidates.map(({ prompt, answer1, answer2 }) => ({ data: { prompt, answer1, answer2 } }));
}

/** What an import of a Label Studio export found. */
export interface LabelStudioImport {
  readonly pairs: PreferencePair[];
  /** Tasks with no submitted (non-cancelled) pairwise annotation. */
  readonly unlabeled: number;
  /** Tasks whose annotators chose left and right equally often. */
  readonly disputed: number;
}

// Bounds on an export from a file: tasks and annotations per task.
const MAX_TASKS = 1_000_000;
const MAX_ANNOTATIONS = 1_000;

/**
 * Preference pairs from a Label Studio JSON export of pairwise tasks: each annotation's pairwise result
 * (`value.selected` `"left"` = answer1, `"right"` = answer2) is a vote; cancelled annotations are ignored;
 * the majority answer is `chosen`, and tasks without a majority are counted, not guessed.
 *
 * @example
 * ```ts
 * const { pairs, unlabeled } = fromLabelStudioExport(JSON.parse(readFileSync('export.json', 'utf8')));
 * ```
 */
export function fromLabelStudioExport(exported: unknown, source = 'export'): LabelStudioImport {
  if (!Array.isArray(exported))
    throw new DatasetFormatError(source, 'a Label Studio JSON export is an array of tasks');
  if (exported.length > MAX_TASKS)
    throw new DatasetFormatError(
      source,
      `${exported.length} tasks exceed ${MAX_TASKS.toLocaleString('en-US')}`,
    );
  const pairs: PreferencePair[] = [];
  let unlabeled = 0;
  let disputed = 0;
  exported.forEach((task, index) => {
    const where = `${source}[${index}]`;
    const record = asRecord(task);
    const data = asRecord(record?.get('data'));
    const texts = ['prompt', 'answer1', 'answer2'].map((field) => data?.get(field));
    if (!texts.every((text): text is string => typeof text === 'string'))
      throw new DatasetFormatError(where, 'data needs string prompt, answer1 and answer2');
    const [prompt, answer1, answer2] = texts as [string, string, string];
    const annotations = record?.get('annotations') ?? [];
    if (!Array.isArray(annotations)) throw new DatasetFormatError(where, 'annotations is not an array');
    if (annotations.length > MAX_ANNOTATIONS)
      throw new DatasetFormatError(where, `${annotations.length} annotations exceed ${MAX_ANNOTATIONS}`);
    let left = 0;
    let right = 0;
    for (const annotation of annotations) {
      const entry = asRecord(annotation);
      if (!entry || entry.get('was_cancelled') === true) continue;
      const results = entry.get('result');
      if (!Array.isArray(results)) continue;
      for (const result of results) {
        const item = asRecord(result);
        if (item?.get('type') !== 'pairwise') continue;
        const selected = asRecord(item.get('value'))?.get('selected');
        if (selected === 'left') left++;
        else if (selected === 'right') right++;
        else
          throw new DatasetFormatError(
            where,
            `pairwise value.selected ${JSON.stringify(selected)} is not "left" or "right"`,
          );
      }
    }
    if (left + right === 0) unlabeled++;
    else if (left === right) disputed++;
    else
      pairs.push(
        left > right
          ? { prompt, chosen: answer1, rejected: answer2 }
          : { prompt, chosen: answer2, rejected: answer1 },
      );
  });
  return { pairs, unlabeled, disputed };
}
