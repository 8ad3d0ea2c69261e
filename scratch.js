const { validateConfig, trainRun } = require('./out/src/core');
(async () => {
  const head = process.argv[2] || 'sigmoid1';
  const config = validateConfig({ dataset: { builtin: 'shapes', count: 48, size: 64 }, head, loss: process.argv[3] || 'bce', epochs: +(process.argv[4]||6), name: 'try' });
  config.runsDir = '/tmp/seglab-runs'; config.name = 'try';
  const t0 = Date.now();
  const s = await trainRun({ config, emit: (e) => { if (e.type === 'epoch') console.log(head, e.record.epoch, e.record.trainLoss.toFixed(4), JSON.stringify(e.record.val), ((Date.now()-t0)/1000).toFixed(0)+'s'); if (e.type==='start') console.log(e); } });
  console.log(s.status, s.reason, s.durations);
})();
