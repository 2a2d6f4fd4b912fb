import { compareForRemoval, completionIndex } from './pods.ts';
import type { Pod } from './types.ts';

// Completion indexes of Indexed Jobs (indexed_job_utils.go): sets of indexes kept as
// ordered, non-overlapping, non-adjacent intervals, written as "1,3-5,7".

export interface Interval {
  first: number;
  last: number;
}

export type Intervals = Interval[];

/** Merges two ordered interval lists into one. */
export function mergeIntervals(a: Intervals, b: Intervals): Intervals {
  const result: Intervals = [];
  const push = (iv: Interval) => {
    const last = result[result.length - 1];
    if (!last || iv.first > last.last + 1) result.push({ ...iv });
    else if (last.last < iv.last) last.last = iv.last;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) push(a[i]!.first < b[j]!.first ? a[i++]! : b[j++]!);
  while (i < a.length) push(a[i++]!);
  while (j < b.length) push(b[j++]!);
  return result;
}

/** `indexes` must be in increasing order. */
export function withIndexes(intervals: Intervals, indexes: number[]): Intervals {
  return mergeIntervals(
    intervals,
    indexes.map((ix) => ({ first: ix, last: ix })),
  );
}

export function totalIndexes(intervals: Intervals): number {
  return intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
}

export function hasIndex(intervals: Intervals, ix: number): boolean {
  return intervals.some((iv) => iv.first <= ix && ix <= iv.last);
}

/** "1,3-5": two adjacent indexes are written with a comma, longer runs with a dash. */
export function formatIntervals(intervals: Intervals): string {
  return intervals
    .map((iv) => {
      if (iv.last === iv.first) return String(iv.first);
      return `${iv.first}${iv.last === iv.first + 1 ? ',' : '-'}${iv.last}`;
    })
    .join(',');
}

/** parseIndexesFromString: corrupt parts are skipped, indexes ≥ completions dropped. */
export function parseIntervals(text: string | undefined, completions: number): Intervals {
  const result: Intervals = [];
  if (!text) return result;
  for (const part of text.split(',')) {
    const limits = part.split('-');
    const first = atoi(limits[0]!);
    if (first === undefined) continue;
    if (first >= completions) break;
    let last = first;
    if (limits.length > 1) {
      const parsed = atoi(limits[1]!);
      if (parsed === undefined) continue;
      last = Math.min(parsed, completions - 1);
    }
    const prev = result[result.length - 1];
    if (prev && prev.last === first - 1) prev.last = last;
    else result.push({ first, last });
  }
  return result;
}

function atoi(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function sortedIndexes(pods: Pod[]): number[] {
  const set = new Set(pods.map(completionIndex).filter((ix) => ix >= 0));
  return [...set].sort((a, b) => a - b);
}

/**
 * calculateSucceededIndexes: the indexes already in .status.completedIndexes, and those
 * plus the indexes of succeeded pods not counted yet (still holding the finalizer).
 */
export function succeededIndexes(
  completedIndexes: string | undefined,
  completions: number,
  newlySucceeded: Pod[],
): { previous: Intervals; current: Intervals } {
  const previous = parseIntervals(completedIndexes, completions);
  const fresh = sortedIndexes(newlySucceeded).filter((ix) => ix < completions);
  return { previous, current: withIndexes(previous, fresh) };
}

/**
 * firstPendingIndexes: the `count` lowest indexes below `completions` that have neither
 * succeeded nor an active pod (nor a terminating one, when only failed pods are replaced).
 */
export function firstPendingIndexes(
  succeeded: Intervals,
  active: Pod[],
  terminating: Pod[] | undefined,
  count: number,
  completions: number,
): number[] {
  if (count === 0) return [];
  let nonPending = withIndexes(succeeded, sortedIndexes(active));
  if (terminating) nonPending = withIndexes(nonPending, sortedIndexes(terminating));
  const result: number[] = [];
  let candidate = 0;
  for (const iv of nonPending) {
    for (; candidate < completions && result.length < count && candidate < iv.first; candidate++) {
      result.push(candidate);
    }
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < completions && result.length < count; candidate++) result.push(candidate);
  return result;
}

/**
 * appendDuplicatedIndexPodsForRemoval: of the active pods, those without a valid index,
 * with an index ≥ completions, or repeating an index (all but the best of each index).
 * Answers the pods to remove and those left.
 */
export function duplicatedIndexPods(
  pods: Pod[],
  completions: number,
): { remove: Pod[]; left: Pod[] } {
  const remove: Pod[] = [];
  const left: Pod[] = [];
  const byIndex = new Map<number, Pod[]>();
  for (const pod of pods) {
    const ix = completionIndex(pod);
    if (ix < 0 || ix >= completions) {
      remove.push(pod);
      continue;
    }
    byIndex.set(ix, [...(byIndex.get(ix) ?? []), pod]);
  }
  for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
    const same = [...byIndex.get(ix)!].sort(compareForRemoval);
    remove.push(...same.slice(0, -1));
    left.push(same[same.length - 1]!);
  }
  return { remove, left };
}

/** matchSuccessPolicy: the message of the first rule the succeeded indexes meet. */
export function matchSuccessPolicy(
  rules: { succeededIndexes?: string; succeededCount?: number }[] | undefined,
  completions: number,
  succeeded: Intervals,
): string | undefined {
  if (!rules || succeeded.length === 0) return undefined;
  for (const [index, rule] of rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIntervals(rule.succeededIndexes, completions);
      if (required.length === 0) continue;
      let contains = 0;
      for (const r of required) {
        for (const s of succeeded) {
          contains += Math.max(0, Math.min(r.last, s.last) - Math.max(r.first, s.first) + 1);
        }
      }
      const count = rule.succeededCount;
      if (contains === totalIndexes(required) || (count !== undefined && contains >= count)) {
        return `Matched rules at index ${index}`;
      }
    } else if (
      rule.succeededCount !== undefined &&
      totalIndexes(succeeded) >= rule.succeededCount
    ) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
