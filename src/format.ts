// How sizes read for people: shared by the CLI and by what workflows show in the Web UI (no I/O,
// safe in workflow code).

/** 1234567 → "1.2 MB" (decimal units, as disks and networks count). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
