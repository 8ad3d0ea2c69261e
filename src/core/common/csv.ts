/**
 * CSV with RFC 4180 quoting: numbers at full precision, NaN and infinities as nan / inf / -inf (what
 * numpy and pandas read back as floats), a missing value (null) as an empty field. No imports: the
 * CLI and the webview's exports write the same CSV.
 */
/** A number as a CSV field: full precision, nan / inf / -inf. */
export function csvNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

export function csv(header: string[], rows: (string | number | null)[][]): string {
  const quote = (c: string | number | null) => {
    const s = c === null ? '' : typeof c === 'number' ? csvNumber(c) : c;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}
