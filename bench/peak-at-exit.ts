// Preloaded into a CLI process the bench runs (`node -r dist/bench/peak-at-exit.js ...`): writes
// the process's peak RSS (VmHWM) to $BENCH_PEAK_FILE as it exits.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.BENCH_PEAK_FILE;
  const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (file && kb) writeFileSync(file, String(Number(kb) / 1024));
});
