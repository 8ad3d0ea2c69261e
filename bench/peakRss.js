// Preloaded by `npm run bench` (node --require) into a CLI process (and, through execArgv, into the
// engine it forks): at exit, appends "<peak resident set size in KiB>\n" to the file named by
// SEGLAB_PEAK_RSS_FILE, one line per process; the bench takes the largest.
//
// On Linux the peak is /proc/self/status's VmHWM, the high-water mark of this process's own address
// space. getrusage's maxRSS (the fallback elsewhere) survives fork + exec: a process spawned by a
// parent holding 2 GB reported 2 GB even when it never used more than 500 MB itself.
'use strict';
const fs = require('fs');
function peakKiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
process.on('exit', () => {
  if (process.env.SEGLAB_PEAK_RSS_FILE) fs.appendFileSync(process.env.SEGLAB_PEAK_RSS_FILE, `${peakKiB()}\n`);
});
