// Manifest records of items stored long ago, written directly into a destination to make it
// large without storing a million files (used by the large-destination bench and its test).
import { createHash } from 'node:crypto';
import type { ManifestEntry } from '../src/manifest/manifest.js';

export function syntheticEntry(i: number): ManifestEntry {
  return {
    id: `synthetic-${i.toString(36).padStart(6, '0')}-${'x'.repeat(60)}`,
    key: `${2000 + (i % 20)}/${String(1 + (i % 12)).padStart(2, '0')}/IMG_${i}.jpg`,
    size: 100_000 + (i % 997),
    sha256: createHash('sha256').update(String(i)).digest('hex'),
    creationTime: new Date(Date.UTC(2000, 0, 1) + i * 60_000).toISOString(),
    filename: `IMG_${i}.jpg`,
    source: 'library',
    storedAt: '2024-01-01T00:00:00.000Z',
  };
}

/** Records [from, to) as JSON lines. */
export function syntheticLines(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += `${JSON.stringify(syntheticEntry(i))}\n`;
  return text;
}
