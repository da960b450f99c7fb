// The activities of a Takeout import (workflow: importTakeout). scanTakeoutPart reads a part into
// the destination's catalog (sources/takeout/scan.ts); planTakeoutImport pairs media and JSON
// across all scanned parts (plan.ts); importTakeoutPart streams a part's planned items into the
// sink (takeout-store.ts); finishTakeoutImport writes the albums index. The catalog is in this
// worker's cache folder: an activity on a worker that lacks it (another machine, a lost cache)
// scans and plans again before it goes on. Inputs and results carry paths and counts, never items.
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { destinationHash, destinationLabel, manifestFor, openSink, type DestinationSpec } from '../destination.js';
import { catalogFile, isSameFile, TakeoutCatalog, type CatalogPart } from '../sources/takeout/catalog.js';
import { planImport, type PlanOptions, type PlanSummary } from '../sources/takeout/plan.js';
import { scanPart, type ScanResult } from '../sources/takeout/scan.js';
import { writeAlbumsIndex } from '../sources/takeout/albums.js';
import { classified } from './failures.js';
import { hasWork, PartImport, type ImportPartResult, type ImportHeartbeat } from './takeout-store.js';
import { stat } from 'node:fs/promises';

export type { ImportPartResult } from './takeout-store.js';

export interface TakeoutPartInput {
  readonly destination: DestinationSpec;
  /** Absolute path of the part (zip, tgz or an extracted folder) as the worker sees it. */
  readonly part: string;
}

export interface TakeoutPlanInput extends PlanOptions {
  readonly destination: DestinationSpec;
  /** The parts of this import (each scanned, here or on another worker). */
  readonly parts: readonly string[];
}

export interface TakeoutImportPartInput extends TakeoutPlanInput {
  readonly part: string;
  /** The plan made for this import (planTakeoutImport's planId): a worker without it plans again. */
  readonly planId: string;
}

export interface TakeoutPlanResult extends PlanSummary {
  readonly planId: string;
  /**
   * The parts to import: those named, then parts of earlier imports (still there, unchanged)
   * holding items this plan can store or complete (a JSON in a new part dates a photo in an old one).
   */
  readonly parts?: readonly string[];
}

/** Whether a scanned part is still where it was, unchanged (a folder: still there). */
async function isPresent(part: CatalogPart): Promise<boolean> {
  const info = await stat(part.path).catch(() => undefined);
  return info !== undefined && (info.isDirectory() || isSameFile(part, info));
}

/** The ids of the scanned parts that are still where they were, unchanged. */
async function presentParts(catalog: TakeoutCatalog): Promise<Set<number>> {
  const present = new Set<number>();
  for (const part of catalog.scannedParts()) if (await isPresent(part)) present.add(part.id);
  return present;
}

/** The named parts, then the earlier ones with work left (see TakeoutPlanResult.parts). */
async function partsToImport(catalog: TakeoutCatalog, input: TakeoutPlanInput, present: ReadonlySet<number>): Promise<string[]> {
  const named = new Set(input.parts);
  const [sink, manifest] = [openSink(input.destination), await manifestFor(input.destination)];
  const earlier: string[] = [];
  for (const part of catalog.scannedParts()) {
    if (named.has(part.path) || !present.has(part.id)) continue;
    if (await hasWork(catalog, part.id, manifest, sink)) earlier.push(part.path);
  }
  return [...input.parts, ...earlier];
}

const catalogs = new Map<string, TakeoutCatalog>();

/** One catalog per destination per worker process. */
function catalogFor(destination: DestinationSpec): TakeoutCatalog {
  const file = catalogFile(destinationHash(destination));
  let catalog = catalogs.get(file);
  if (!catalog) {
    catalog = TakeoutCatalog.open(file);
    catalogs.set(file, catalog);
  }
  return catalog;
}

/** Names a plan by what it was made from: the scanned parts (at their sizes and times) and the options. */
function planIdOf(catalog: TakeoutCatalog, options: PlanOptions): string {
  const parts = catalog.scannedParts().map((p) => `${p.path}\0${p.size}\0${p.mtimeMs}`);
  return createHash('sha256').update(JSON.stringify([parts, options.includeTrash, options.includeFailedVideos])).digest('hex').slice(0, 24);
}

async function plan(catalog: TakeoutCatalog, input: TakeoutPlanInput, beat: () => void): Promise<TakeoutPlanResult> {
  for (const part of input.parts) await scanPart(catalog, part, { signal: Context.current().cancellationSignal, beat });
  const options = { includeTrash: input.includeTrash, includeFailedVideos: input.includeFailedVideos };
  const present = await presentParts(catalog);
  const summary = planImport(catalog, options, (part) => present.has(part));
  const planId = planIdOf(catalog, options);
  catalog.setMeta('plan', planId);
  return { ...summary, planId, parts: await partsToImport(catalog, input, present) };
}

export function createTakeoutActivities() {
  return {
    /** Scans one part into the catalog (or finds it scanned); fails with a clear error on a truncated, corrupt or unreadable part. */
    async scanTakeoutPart(input: TakeoutPartInput): Promise<ScanResult> {
      return classified(async () => {
        const ctx = Context.current();
        return scanPart(catalogFor(input.destination), input.part, { signal: ctx.cancellationSignal, beat: () => ctx.heartbeat() });
      }, input.part);
    },
    /** Pairs media and sidecars across every scanned part into the import plan; returns its counts. */
    async planTakeoutImport(input: TakeoutPlanInput): Promise<TakeoutPlanResult> {
      return classified(async () => {
        const ctx = Context.current();
        return plan(catalogFor(input.destination), input, () => ctx.heartbeat());
      }, destinationLabel(input.destination));
    },
    /** Stores the planned items of one part, resuming after the last durable one of an earlier attempt. */
    async importTakeoutPart(input: TakeoutImportPartInput): Promise<ImportPartResult> {
      return classified(async () => {
        const ctx = Context.current();
        const catalog = catalogFor(input.destination);
        if (catalog.meta('plan') !== input.planId) await plan(catalog, input, () => ctx.heartbeat());
        const part = catalog.part(input.part);
        if (!part?.scanned) throw new Error(`the catalog has no scan of ${input.part}`);
        const [sink, manifest] = [openSink(input.destination), await manifestFor(input.destination)];
        const resume = ctx.info.heartbeatDetails as ImportHeartbeat | undefined;
        return new PartImport({ ctx, catalog, part, sink, manifest }, resume).run();
      }, destinationLabel(input.destination));
    },
    /** Writes the albums index (`.gphotos-backup/takeout-albums.jsonl`) of what is stored; returns the number of albums. */
    async finishTakeoutImport(input: { readonly destination: DestinationSpec }): Promise<number> {
      return classified(async () => {
        const manifest = await manifestFor(input.destination);
        return writeAlbumsIndex(catalogFor(input.destination), manifest, openSink(input.destination));
      }, destinationLabel(input.destination));
    },
  };
}
