// Payload encryption, so that whoever runs the Temporal cluster cannot read the file names, ids
// and paths in workflow histories: every payload (inputs, results, memos, heartbeats, query and
// signal arguments) is sealed with AES-256-GCM before it leaves the process. Each sealed payload
// names its key, so keys can rotate: the first key seals, every key listed opens. Keys come from
// GPHOTOS_CODEC_KEYS ("id:base64key[,id:base64key...]") or from the file GPHOTOS_CODEC_KEY_FILE
// (one "id base64key" per line, `#` comments); a key is 32 random bytes (`openssl rand -base64 32`).
// Search attributes stay readable: the server indexes them (they hold account and destination).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ConfigError, type Env } from '../config.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload in JSON form, metadata values and data in base64: what a sealed payload holds, and what Temporal's codec protocol sends. */
export interface WirePayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** A payload in its JSON form, and back (`fromWire`). */
export function toWire(payload: Payload): WirePayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

export function fromWire(wire: WirePayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(wire.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(wire.data ?? '', 'base64')),
  };
}

export class AesGcmCodec implements PayloadCodec {
  /** `keys`: key id → 32-byte key; `current`: the id that seals. */
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly current: string,
  ) {
    if (!keys.has(current)) throw new ConfigError(`payload codec: no key with id "${current}"`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => this.open(payload));
  }

  private seal(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(this.current), iv);
    const sealed = Buffer.concat([iv, cipher.update(Buffer.from(JSON.stringify(toWire(payload)))), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID]: encoder.encode(this.current) }, data: new Uint8Array(sealed) };
  }

  private open(payload: Payload): Payload {
    const metadata = payload.metadata ?? {};
    if (decoder.decode(metadata.encoding ?? new Uint8Array()) !== ENCRYPTED_ENCODING) return payload;
    const id = decoder.decode(metadata[KEY_ID] ?? new Uint8Array());
    const data = Buffer.from(payload.data ?? new Uint8Array());
    const decipher = createDecipheriv('aes-256-gcm', this.key(id), data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    return fromWire(JSON.parse(plain.toString('utf8')) as WirePayload);
  }

  private key(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new ConfigError(`payload codec: a payload was sealed with key "${id}", which is not among the configured keys (GPHOTOS_CODEC_KEYS / GPHOTOS_CODEC_KEY_FILE)`);
    return key;
  }
}

/** Parses "id:base64" entries (or "id base64" lines); the first is the one that seals. */
export function parseKeys(entries: readonly string[], where: string): { keys: Map<string, Buffer>; current: string } {
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const match = /^([A-Za-z0-9._-]{1,64})[:\s]\s*([A-Za-z0-9+/=_-]+)$/.exec(entry.trim());
    const key = match?.[2] ? Buffer.from(match[2], 'base64') : undefined;
    if (!match?.[1] || key?.length !== 32) throw new ConfigError(`${where}: each key is "id:base64" of 32 bytes (openssl rand -base64 32); got "${entry.trim().slice(0, 12)}..."`);
    keys.set(match[1], key);
  }
  const current = entries.length > 0 ? /^([A-Za-z0-9._-]+)/.exec(entries[0]?.trim() ?? '')?.[1] : undefined;
  if (!current) throw new ConfigError(`${where}: no key`);
  return { keys, current };
}

/** The codec the environment asks for, or undefined when no key is configured. */
export function codecFromEnv(env: Env = process.env): AesGcmCodec | undefined {
  const inline = env.GPHOTOS_CODEC_KEYS;
  const file = env.GPHOTOS_CODEC_KEY_FILE;
  if (!inline && !file) return undefined;
  if (inline) {
    const { keys, current } = parseKeys(inline.split(','), 'GPHOTOS_CODEC_KEYS');
    return new AesGcmCodec(keys, current);
  }
  let text: string;
  try {
    text = readFileSync(file ?? '', 'utf8');
  } catch (error) {
    throw new ConfigError(`GPHOTOS_CODEC_KEY_FILE=${file ?? ''} cannot be read: ${(error as Error).message}`);
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const { keys, current } = parseKeys(lines, `GPHOTOS_CODEC_KEY_FILE ${file ?? ''}`);
  return new AesGcmCodec(keys, current);
}

/** The data converter option for clients and workers: the codec when one is configured. */
export function dataConverterFromEnv(env: Env = process.env): { dataConverter?: { payloadCodecs: PayloadCodec[] } } {
  const codec = codecFromEnv(env);
  return codec ? { dataConverter: { payloadCodecs: [codec] } } : {};
}
