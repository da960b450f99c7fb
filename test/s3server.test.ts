// The S3 test server (versitygw) with the AWS SDK's checksums: single PUTs with CRC32 and SHA256
// checked against locally computed values, a lib-storage multipart upload, durability over
// restart(), and which checksum algorithms/types the server accepts (reported as diagnostics).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type ChecksumAlgorithm,
  type ChecksumType,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startS3Server, type S3TestServer } from './harness/s3.js';

const MiB = 1024 * 1024;
const PART_SIZE = 5 * MiB;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64');
}
function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
/** CRC32 as S3 transmits it: base64 of the big-endian 4-byte value. */
function crc32Base64(data: Uint8Array): string {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(crc32(data));
  return buf.toString('base64');
}
/** S3's COMPOSITE multipart checksum: checksum of the concatenated part checksums, then "-<parts>". */
function compositeChecksum(data: Buffer, partSize: number, algorithm: 'CRC32' | 'SHA256'): string {
  const raw: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += partSize) {
    const part = data.subarray(offset, offset + partSize);
    raw.push(algorithm === 'CRC32' ? Buffer.from(crc32Base64(part), 'base64') : createHash('sha256').update(part).digest());
  }
  const joined = Buffer.concat(raw);
  const whole = algorithm === 'CRC32' ? crc32Base64(joined) : sha256(joined);
  return `${whole}-${raw.length}`;
}

async function getBytes(client: S3Client, bucket: string, key: string) {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  assert.ok(res.Body, 'GetObject returned no body');
  return { res, bytes: Buffer.from(await res.Body.transformToByteArray()) };
}

void describe('S3 test server (versitygw)', { timeout: 120_000 }, () => {
  let server: S3TestServer | undefined;
  const big = randomBytes(12 * MiB);

  before(async () => {
    server = await startS3Server();
  });

  after(async () => {
    await server?.stop();
  });

  const started = (): S3TestServer => {
    assert.ok(server, 'server did not start');
    return server;
  };

  void test('PutObject with CRC32; GetObject returns the same bytes and checksum', async () => {
    const s = started();
    const client = s.client();
    const body = randomBytes(256 * 1024 + 7);
    const put = await client.send(
      new PutObjectCommand({ Bucket: s.bucket, Key: 'single/crc32.bin', Body: body, ChecksumAlgorithm: 'CRC32' }),
    );
    assert.equal(put.ChecksumCRC32, crc32Base64(body));
    const { res, bytes } = await getBytes(client, s.bucket, 'single/crc32.bin');
    assert.ok(bytes.equals(body));
    assert.equal(res.ChecksumCRC32, crc32Base64(body));
    assert.equal(res.ChecksumType, 'FULL_OBJECT');
  });

  void test('PutObject with SHA256; GetObject returns the same bytes and checksum', async () => {
    const s = started();
    const client = s.client();
    const body = randomBytes(300_001);
    const put = await client.send(
      new PutObjectCommand({ Bucket: s.bucket, Key: 'single/sha256.bin', Body: body, ChecksumAlgorithm: 'SHA256' }),
    );
    assert.equal(put.ChecksumSHA256, sha256(body));
    const { res, bytes } = await getBytes(client, s.bucket, 'single/sha256.bin');
    assert.ok(bytes.equals(body));
    assert.equal(res.ChecksumSHA256, sha256(body));
  });

  void test('a PutObject whose declared checksum does not match the body is rejected', async () => {
    const s = started();
    const client = s.client();
    const body = randomBytes(1000);
    await assert.rejects(
      client.send(
        new PutObjectCommand({ Bucket: s.bucket, Key: 'single/bad.bin', Body: body, ChecksumSHA256: sha256(randomBytes(10)) }),
      ),
      { name: 'BadDigest' }, // decided by the server: the SDK sends a given checksum as is
    );
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'single/bad.bin' })), { name: 'NotFound' });
  });

  void test('multipart Upload (12 MiB, 5 MiB parts, SDK default CRC32) reads back intact', async () => {
    const s = started();
    const client = s.client();
    const upload = new Upload({ client, params: { Bucket: s.bucket, Key: 'multipart/default.bin', Body: big }, partSize: PART_SIZE });
    const done = await upload.done();
    // The SDK's default for multipart is CRC32 COMPOSITE over the three parts.
    assert.equal(done.ChecksumType, 'COMPOSITE');
    assert.equal(done.ChecksumCRC32, compositeChecksum(big, PART_SIZE, 'CRC32'));
    const { res, bytes } = await getBytes(client, s.bucket, 'multipart/default.bin');
    assert.equal(bytes.length, big.length);
    assert.equal(sha256Hex(bytes), sha256Hex(big));
    assert.equal(res.ChecksumCRC32, compositeChecksum(big, PART_SIZE, 'CRC32'));
  });

  void test('multipart Upload with SHA256 (COMPOSITE) and CRC32 FULL_OBJECT report the expected checksums', async () => {
    const s = started();
    const client = s.client();
    const sha = await new Upload({
      client,
      params: { Bucket: s.bucket, Key: 'multipart/sha256.bin', Body: big, ChecksumAlgorithm: 'SHA256' },
      partSize: PART_SIZE,
    }).done();
    assert.equal(sha.ChecksumSHA256, compositeChecksum(big, PART_SIZE, 'SHA256'));
    const full = await new Upload({
      client,
      params: { Bucket: s.bucket, Key: 'multipart/crc32-full.bin', Body: big, ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' },
      partSize: PART_SIZE,
    }).done();
    assert.equal(full.ChecksumType, 'FULL_OBJECT');
    assert.equal(full.ChecksumCRC32, crc32Base64(big));
    const head = await client.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'multipart/crc32-full.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, crc32Base64(big));
    assert.equal(head.ContentLength, big.length);
  });

  void test('checksum support matrix (PutObject and multipart)', async (t) => {
    const s = started();
    const client = s.client();
    const small = randomBytes(4096);
    const mp = big.subarray(0, 11 * MiB);
    const algorithms: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];
    const results: string[] = [];
    for (const algorithm of algorithms) {
      const key = `matrix/put-${algorithm}`;
      const outcome = await client
        .send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: small, ChecksumAlgorithm: algorithm }))
        .then(async () => {
          const { bytes } = await getBytes(client, s.bucket, key); // the SDK validates the returned checksum
          return bytes.equals(small) ? 'ok' : 'BYTES DIFFER';
        })
        .catch((err: Error) => `rejected (${err.name}: ${err.message})`);
      results.push(`PutObject ${algorithm}: ${outcome}`);
      assert.equal(outcome, 'ok', `PutObject with ${algorithm}`);
    }
    const expectMultipart: Record<string, Partial<Record<ChecksumType, boolean>>> = {
      CRC32: { COMPOSITE: true, FULL_OBJECT: true },
      CRC32C: { COMPOSITE: true, FULL_OBJECT: true },
      CRC64NVME: { COMPOSITE: false, FULL_OBJECT: true },
      SHA1: { COMPOSITE: true, FULL_OBJECT: false },
      SHA256: { COMPOSITE: true, FULL_OBJECT: false },
    };
    for (const algorithm of algorithms) {
      for (const type of ['COMPOSITE', 'FULL_OBJECT'] as const) {
        const key = `matrix/mpu-${algorithm}-${type}`;
        const outcome = await new Upload({
          client,
          params: { Bucket: s.bucket, Key: key, Body: mp, ChecksumAlgorithm: algorithm, ChecksumType: type },
          partSize: PART_SIZE,
        })
          .done()
          .then(async () => {
            const { bytes } = await getBytes(client, s.bucket, key);
            return sha256Hex(bytes) === sha256Hex(mp) ? 'ok' : 'BYTES DIFFER';
          })
          .catch((err: Error) => `rejected (${err.name}: ${err.message})`);
        results.push(`multipart ${algorithm} ${type}: ${outcome}`);
        // AWS S3 itself allows exactly these combinations; the server should agree.
        if (expectMultipart[algorithm]?.[type]) assert.equal(outcome, 'ok', `multipart ${algorithm} ${type}`);
        else assert.match(outcome, /^rejected/, `multipart ${algorithm} ${type} should be rejected`);
      }
    }
    for (const line of results) t.diagnostic(line);
  });

  void test('restart() keeps objects and the bucket', async () => {
    const s = started();
    const client = s.client(); // created before the restart: its pooled connections go stale
    await client.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'multipart/default.bin' }));
    const pidBefore = s.pid;
    await s.restart();
    assert.notEqual(s.pid, pidBefore);
    const { bytes } = await getBytes(client, s.bucket, 'multipart/default.bin');
    assert.equal(sha256Hex(bytes), sha256Hex(big));
    const { bytes: single } = await getBytes(client, s.bucket, 'single/sha256.bin');
    assert.equal(single.length, 300_001);
    // and it still accepts writes
    await client.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'after-restart.txt', Body: 'still here' }));
  });
});
