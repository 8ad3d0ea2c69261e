/**
 * The one rule for binary masks, used by training data (dataset.ts) and by evaluation ground truth
 * (arrayFile.ts): at most two distinct values; without a `foreground` value, the smaller must be 0
 * (0/1, 0/255, …) unless there is only one value, so an all-0 mask is all background and an all-255
 * (all-1, …) mask all foreground. With `foreground = v`, pixels equal to v are foreground.
 */
/** What is wrong with a mask's distinct values ("is not binary (…)"), or null. */
export function binaryMaskProblem(distinct: readonly number[], foreground?: number): string | null {
  const values = [...distinct].sort((a, b) => a - b);
  const binary = values.length <= 2 && (foreground !== undefined || values.length === 1 || values[0] === 0);
  if (!binary)
    return `is not binary (values ${values.slice(0, 6).join(', ')}${values.length > 6 ? ', …' : ''}); expected 0 and one foreground value`;
  if (foreground !== undefined && values.length === 2 && !values.includes(foreground)) {
    return `has no pixel of the foreground value ${foreground} (values ${values.join(', ')})`;
  }
  return null;
}

/** Whether a pixel value is foreground under the rule above. */
export function isForeground(v: number, foreground?: number): boolean {
  return foreground === undefined ? v !== 0 : v === foreground;
}
