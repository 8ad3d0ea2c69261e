/**
 * The loss library as people read it: every loss with its modes, summary, reference and options, then
 * the smp/MONAI class names with the SegLab terms and defaults they stand for. Shown by
 * `seglab losses --list` and the extension's Show Loss Library.
 */
import { LIBRARY_ALIASES, LOSS_ALIASES } from './aliases';
import { describeDefault, lossDefinitions } from './registry';

/** One entry per loss, as `seglab losses --list --json` prints it. */
export function lossLibrary() {
  return {
    losses: lossDefinitions().map((d) => ({
      name: d.name,
      modes: [...d.modes],
      summary: d.summary,
      reference: d.reference,
      ...(d.readsPrediction ? { cpuOnly: true } : {}),
      options: Object.fromEntries(
        Object.entries(d.options).map(([key, spec]) => [key, { default: describeDefault(spec), description: spec.description }]),
      ),
    })),
    aliases: Object.entries({ ...LOSS_ALIASES, ...LIBRARY_ALIASES }).map(([name, a]) => ({
      name,
      library: a.library,
      binary: a.binary,
      multiclass: a.multiclass,
      defaults: a.defaults,
    })),
  };
}

/** The library as text lines: a loss per unindented line, its reference and options indented below. */
export function lossLibraryLines(): string[] {
  const lines = lossDefinitions().flatMap((d) => [
    `${d.name} (${d.modes.join(', ')}): ${d.summary}`,
    `    reference: ${d.reference}`,
    ...Object.entries(d.options).map(([key, spec]) => `    ${key} = ${describeDefault(spec)}: ${spec.description}`),
  ]);
  // smp/MONAI class names, indented so they read as notes under the library (not as losses).
  lines.push('', "smp/MONAI names (with their classes' defaults; monai:NAME or smp:NAME picks a library):");
  for (const [name, a] of Object.entries({ ...LOSS_ALIASES, ...LIBRARY_ALIASES })) {
    const terms = a.binary === a.multiclass ? a.binary : `${a.binary} (one channel) / ${a.multiclass}`;
    const defaults = Object.entries(a.defaults)
      .flatMap(([term, o]) => Object.entries(o).map(([k, v]) => `${term}.${k} = ${JSON.stringify(v)}`))
      .join(', ');
    lines.push(`  ${name} (${a.library}) = ${terms}${defaults ? `; ${defaults}` : ''}`);
  }
  return lines;
}
