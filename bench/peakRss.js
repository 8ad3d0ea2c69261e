// Preloaded by `npm run bench` (node --require) into a CLI process: at exit, writes the process's peak
// resident set size in KiB to the file named by SEGLAB_PEAK_RSS_FILE.
'use strict';
const fs = require('fs');
process.on('exit', () => {
  if (process.env.SEGLAB_PEAK_RSS_FILE) fs.writeFileSync(process.env.SEGLAB_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS));
});
