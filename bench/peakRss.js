// Preloaded by `npm run bench` (node --require) into a CLI process (and, through execArgv, into the
// engine it forks): at exit, appends "<peak resident set size in KiB>\n" to the file named by
// SEGLAB_PEAK_RSS_FILE, one line per process; the bench takes the largest.
'use strict';
const fs = require('fs');
process.on('exit', () => {
  if (process.env.SEGLAB_PEAK_RSS_FILE) fs.appendFileSync(process.env.SEGLAB_PEAK_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
});
