/** The sidebar's grouping of runs under configs that share a runs folder. */
import * as assert from 'assert';
import { assignRuns } from '../../src/extension/host/runGroups';

describe('runs under their configs', () => {
  it('two configs in one folder: each run once, under the config it records, its name, else the first', () => {
    const configs = [
      { file: '/w/a.experiment.json', name: 'a', runsDir: '/w/runs' },
      { file: '/w/b.experiment.json', name: 'b', runsDir: '/w/runs/' },
      { file: '/x/c.experiment.json', name: 'c', runsDir: '/x/runs' },
    ];
    const runs: Record<string, { id: string; summary: { configFile?: string; name?: string } | null }[]> = {
      '/w/runs': [
        { id: 'r1', summary: { configFile: '/w/b.experiment.json', name: 'a-sigmoid1' } }, // recorded file wins over the name
        { id: 'r2', summary: { name: 'b-softmax2' } }, // older run: by name
        { id: 'r3', summary: { configFile: '/w/gone.experiment.json', name: 'zzz' } }, // unknown: the first config
        { id: 'r4', summary: null }, // unreadable summary: the first config
      ],
      '/x/runs': [{ id: 'r5', summary: { configFile: '/x/c.experiment.json' } }],
    };
    const listed: string[] = [];
    const groups = assignRuns(configs, (dir) => {
      listed.push(dir);
      return runs[dir] ?? [];
    });
    assert.deepStrictEqual(
      groups.map((g) => g.map((r) => r.id)),
      [['r3', 'r4'], ['r1', 'r2'], ['r5']],
    );
    assert.deepStrictEqual(listed, ['/w/runs', '/x/runs'], 'each folder read once');
  });
});
