// The emulator's control API (/__emulator/...), for tests and benchmarks that run the emulator in
// another process: faults, counters, quotas, tokens, the clock, picking, new items, and expected checksums.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuotaBucketName } from './accounting.js';
import { parseFaultRule } from './faults.js';
import { HttpError, readJson, sendJson } from './http.js';
import type { Emulator } from './server.js';

const BUCKETS: readonly QuotaBucketName[] = ['libraryApi', 'libraryMedia', 'pickerApi', 'pickerMedia'];

function invalid(message: string): HttpError {
  return new HttpError('INVALID_ARGUMENT', message);
}

export async function handleControl(emulator: Emulator, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const method = req.method ?? 'GET';
  const route = `${method} ${path}`;
  const pickMatch = /^\/picker\/sessions\/([^/]+)\/pick$/.exec(path);
  const itemMatch = /^\/items\/([^/]+)$/.exec(path);

  if (route === 'GET /health') {
    sendJson(res, 200, { ok: true, preset: emulator.library.preset, items: emulator.library.items.length, env: emulator.env() });
  } else if (route === 'GET /counters') {
    sendJson(res, 200, emulator.counters());
  } else if (route === 'POST /counters/reset') {
    emulator.resetCounters();
    sendJson(res, 200, {});
  } else if (route === 'GET /faults') {
    sendJson(res, 200, { faults: emulator.faults() });
  } else if (route === 'POST /faults') {
    const body = await readJson(req);
    try {
      sendJson(res, 200, { id: emulator.addFault(parseFaultRule(body)) });
    } catch (error) {
      throw invalid((error as Error).message);
    }
  } else if (route === 'DELETE /faults') {
    emulator.clearFaults();
    sendJson(res, 200, {});
  } else if (route === 'GET /quota') {
    sendJson(res, 200, emulator.quotaUsage());
  } else if (route === 'POST /quota/exhaust') {
    const { bucket } = await readJson(req);
    if (typeof bucket !== 'string' || !BUCKETS.includes(bucket as QuotaBucketName)) throw invalid(`bucket must be one of ${BUCKETS.join(', ')}`);
    sendJson(res, 200, { resetsAt: emulator.exhaustQuota(bucket as QuotaBucketName) });
  } else if (route === 'POST /tokens/revoke') {
    const { token } = await readJson(req);
    sendJson(res, 200, { revoked: emulator.revoke(typeof token === 'string' ? token : undefined) });
  } else if (route === 'POST /tokens/expire') {
    emulator.expireAccessTokens();
    sendJson(res, 200, {});
  } else if (route === 'GET /tokens') {
    sendJson(res, 200, { tokens: emulator.issuedTokens() });
  } else if (route === 'POST /credentials') {
    sendJson(res, 200, emulator.credentials());
  } else if (route === 'POST /clock/advance') {
    const { ms } = await readJson(req);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalid('ms must be a non-negative number');
    emulator.advanceClock(ms);
    sendJson(res, 200, {});
  } else if (route === 'POST /behaviour') {
    emulator.setBehaviour((await readJson(req)));
    sendJson(res, 200, emulator.behaviour);
  } else if (method === 'POST' && pickMatch?.[1]) {
    const body = await readJson(req);
    const ids = body.mediaItemIds;
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))) throw invalid('mediaItemIds must be a list of ids');
    if (body.count !== undefined && (typeof body.count !== 'number' || body.count < 0)) throw invalid('count must be a non-negative number');
    emulator.pick(decodeURIComponent(pickMatch[1]), {
      ...(ids !== undefined ? { mediaItemIds: ids } : {}),
      ...(typeof body.count === 'number' ? { count: body.count } : {}),
    });
    sendJson(res, 200, {});
  } else if (route === 'POST /items') {
    const { count, creationTime } = await readJson(req);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 100_000) throw invalid('count must be an integer from 1 to 100000');
    if (creationTime !== undefined && typeof creationTime !== 'string') throw invalid('creationTime must be an RFC 3339 time');
    const at = creationTime === undefined ? undefined : Date.parse(creationTime);
    if (at !== undefined && Number.isNaN(at)) throw invalid('creationTime must be an RFC 3339 time');
    sendJson(res, 200, { items: emulator.addItems(count, at) });
  } else if (route === 'GET /items') {
    sendJson(res, 200, { items: emulator.library.items });
  } else if (method === 'GET' && itemMatch?.[1]) {
    const id = decodeURIComponent(itemMatch[1]);
    if (!emulator.item(id)) throw new HttpError('NOT_FOUND', `unknown media item ${id}`);
    sendJson(res, 200, { ...emulator.item(id), expected: await emulator.expected(id) });
  } else {
    return false;
  }
  return true;
}
