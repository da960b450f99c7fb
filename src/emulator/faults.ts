// Fault injection: rules that make matching requests fail the ways Google's servers do.
import { Rng } from './library.js';

/** Which part of the emulator a request belongs to. */
export type FaultTarget = 'library' | 'picker' | 'media' | 'oauth' | 'any';

export type FaultKind =
  /** 429 RESOURCE_EXHAUSTED (per-minute rate limit), with Retry-After when retryAfterSeconds is set. */
  | 'rate-limit'
  /** 5xx with Google's body (status 500, 502 or 503). */
  | 'server-error'
  /** Media: the connection is destroyed after `afterBytes` bytes of the body. */
  | 'reset'
  /** Media: the body ends cleanly after `afterBytes` bytes (with or without the full Content-Length). */
  | 'truncate'
  /** The response starts only after `delayMs`. */
  | 'slow'
  /** Media: the URL answers 403 as an expired one does, before its time. */
  | 'expire-url'
  /**
   * API: a 200 answer that is not what the API documents: `variant` html (a proxy's page),
   * wrong-type (ids that are numbers) or wrong-id (batchGet results out of order).
   */
  | 'malformed';

export type MalformedVariant = 'html' | 'wrong-type' | 'wrong-id';
const VARIANTS: readonly MalformedVariant[] = ['html', 'wrong-type', 'wrong-id'];

export interface FaultRule {
  readonly target: FaultTarget;
  readonly kind: FaultKind;
  /** Only requests to this operation (e.g. 'library.batchGet', 'media', 'oauth.token'). */
  readonly operation?: string;
  /** Only media requests for this item. */
  readonly itemId?: string;
  /** Fire on the next `count` matching requests (default 1 unless probability is given). */
  readonly count?: number;
  /** Fire on each matching request with this probability (seeded, so runs repeat). */
  readonly probability?: number;
  readonly retryAfterSeconds?: number;
  readonly status?: 500 | 502 | 503;
  readonly afterBytes?: number;
  /** truncate: keep the full Content-Length (the client sees a short read) or send none. */
  readonly declareLength?: boolean;
  readonly delayMs?: number;
  /** malformed: how the answer is wrong (default html). */
  readonly variant?: MalformedVariant;
}

export const FAULT_KINDS: readonly FaultKind[] = ['rate-limit', 'server-error', 'reset', 'truncate', 'slow', 'expire-url', 'malformed'];
const TARGETS: readonly FaultTarget[] = ['library', 'picker', 'media', 'oauth', 'any'];

/** Validates a rule received over the control API; throws with a message naming the problem. */
export function parseFaultRule(value: Record<string, unknown>): FaultRule {
  const target = value.target ?? 'any';
  const kind = value.kind;
  if (typeof target !== 'string' || !TARGETS.includes(target as FaultTarget)) throw new Error(`fault target must be one of ${TARGETS.join(', ')}`);
  if (typeof kind !== 'string' || !FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
  const numberField = (name: string): number | undefined => {
    const v = value[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`fault ${name} must be a non-negative number`);
    return v;
  };
  const status = numberField('status');
  if (status !== undefined && status !== 500 && status !== 502 && status !== 503) throw new Error('fault status must be 500, 502 or 503');
  const probability = numberField('probability');
  const variant = value.variant;
  if (variant !== undefined && !VARIANTS.includes(variant as MalformedVariant)) throw new Error(`fault variant must be one of ${VARIANTS.join(', ')}`);
  if (probability !== undefined && probability > 1) throw new Error('fault probability must be within 0..1');
  const rule: FaultRule = {
    target: target as FaultTarget,
    kind: kind as FaultKind,
    ...(typeof value.operation === 'string' ? { operation: value.operation } : {}),
    ...(typeof value.itemId === 'string' ? { itemId: value.itemId } : {}),
    ...(numberField('count') !== undefined ? { count: numberField('count') } : {}),
    ...(probability !== undefined ? { probability } : {}),
    ...(numberField('retryAfterSeconds') !== undefined ? { retryAfterSeconds: numberField('retryAfterSeconds') } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(numberField('afterBytes') !== undefined ? { afterBytes: numberField('afterBytes') } : {}),
    ...(typeof value.declareLength === 'boolean' ? { declareLength: value.declareLength } : {}),
    ...(numberField('delayMs') !== undefined ? { delayMs: numberField('delayMs') } : {}),
    ...(variant !== undefined ? { variant: variant as MalformedVariant } : {}),
  };
  return rule;
}

interface ActiveRule {
  readonly id: number;
  readonly rule: FaultRule;
  remaining: number;
  fired: number;
}

export interface RequestContext {
  readonly target: Exclude<FaultTarget, 'any'>;
  readonly operation: string;
  readonly itemId?: string;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private readonly rng = new Rng('faults');

  add(rule: FaultRule): number {
    const id = this.nextId++;
    const remaining = rule.count ?? (rule.probability !== undefined ? Number.POSITIVE_INFINITY : 1);
    this.rules.push({ id, rule, remaining, fired: 0 });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): { id: number; rule: FaultRule; remaining: number; fired: number }[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The faults that fire for this request (at most one of each kind), consuming their counts. */
  take(request: RequestContext): FaultRule[] {
    const fired: FaultRule[] = [];
    const kinds = new Set<FaultKind>();
    for (const active of this.rules) {
      const { rule } = active;
      if (active.remaining <= 0 || kinds.has(rule.kind)) continue;
      if (rule.target !== 'any' && rule.target !== request.target) continue;
      if (rule.operation !== undefined && rule.operation !== request.operation) continue;
      if (rule.itemId !== undefined && rule.itemId !== request.itemId) continue;
      if (rule.probability !== undefined && this.rng.next() >= rule.probability) continue;
      active.remaining -= 1;
      active.fired += 1;
      kinds.add(rule.kind);
      fired.push(rule);
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return fired;
  }
}
