// The stores a Takeout import lets finish in the background while it reads the next entry: never
// more than the limit, a failure never lost (it stops the part at the next entry or flush), and
// nothing still running once drained.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { endOf, InFlight } from '../src/activities/in-flight.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

const never = new Promise<void>(() => undefined);

describe('InFlight', () => {
  it('returns once the body is read, and holds no more than the limit', async () => {
    const inFlight = new InFlight(2);
    const [a, b, c] = [deferred(), deferred(), deferred()];
    await inFlight.add('2024/01/a.jpg', a.promise, Promise.resolve());
    assert.ok(inFlight.holds('2024/01/a.jpg'));
    let third = false;
    const adding = inFlight.add('2024/01/b.jpg', b.promise, Promise.resolve()).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'two running: the second add waits for one to finish');
    a.resolve();
    await adding;
    assert.equal(inFlight.holds('2024/01/a.jpg'), false);
    const addingC = inFlight.add('2024/01/c.jpg', c.promise, Promise.resolve());
    b.resolve();
    await addingC;
    c.resolve();
    await inFlight.drain();
    assert.equal(inFlight.holds('2024/01/b.jpg') || inFlight.holds('2024/01/c.jpg'), false);
  });

  it('throws a background failure at the next add, once', async () => {
    const inFlight = new InFlight(3);
    const a = deferred();
    await inFlight.add('a', a.promise, Promise.resolve());
    a.reject(new Error('the disk is full (ENOSPC)'));
    await new Promise((r) => setImmediate(r));
    await assert.rejects(inFlight.add('b', Promise.resolve(), Promise.resolve()), /ENOSPC/);
    await inFlight.drain();
  });

  it('throws a failure at drain, after every store has settled', async () => {
    const inFlight = new InFlight(3);
    const [a, b] = [deferred(), deferred()];
    await inFlight.add('a', a.promise, Promise.resolve());
    await inFlight.add('b', b.promise, Promise.resolve());
    let settled = false;
    const draining = inFlight.drain().finally(() => (settled = true));
    b.reject(new Error('bucket refused the write'));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'a is still running');
    a.resolve();
    await assert.rejects(draining, /bucket refused/);
  });

  it('waits for the store itself when its body never ends (a damaged entry fails first)', async () => {
    const inFlight = new InFlight(3);
    const store = deferred();
    let returned = false;
    const adding = inFlight.add('a', store.promise, never).then(() => (returned = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(returned, false);
    store.resolve();
    await adding;
    assert.equal(returned, true);
  });

  it('endOf resolves at the end of a body read whole, not when it fails', async () => {
    const read = new PassThrough();
    const ended = endOf(read);
    read.resume();
    read.end('bytes');
    await ended;
    const failed = new PassThrough();
    failed.on('error', () => undefined);
    let done = false;
    void endOf(failed).then(() => (done = true));
    failed.destroy(new Error('CRC-32 mismatch'));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
  });
});
