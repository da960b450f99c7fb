// The Google Photos emulator in the test process, and small helpers to call it like a client.
import { after } from 'node:test';
import { Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

/** Starts an emulator closed after the current test or suite (call it from `it` or a suite body, not from a hook). */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const emulator = await Emulator.start(options);
  after(() => emulator.close());
  return emulator;
}

export interface JsonAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function callApi<T = Record<string, unknown>>(
  url: string,
  options: { token?: string; method?: string; body?: unknown } = {},
): Promise<JsonAnswer<T>> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

/** Follows nextPageToken to the end; returns every page's item ids. */
export async function allPages(
  fetchPage: (pageToken: string | undefined) => Promise<{ mediaItems?: { id: string }[]; nextPageToken?: string }>,
): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    const items = page.mediaItems ?? [];
    pages.push(items.length);
    ids.push(...items.map((item) => item.id));
    token = page.nextPageToken;
  } while (token);
  return { ids, pages };
}
