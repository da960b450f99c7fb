// Deterministic media bytes for emulated items.
//
// Every variant of every item (the original served by `=d`/`=dv`, a resized JPEG for `=w-h`,
// a video thumbnail) is a pure function of (item id, variant): a short format header, then an
// AES-128-CTR keystream, then a trailer. CTR mode makes any byte range computable without
// generating what comes before it, so a multi-GB video is streamed with constant memory and
// its sha256 can be computed by the tests without storing it.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export interface ContentSpec {
  /** Distinguishes the bytes: item id plus variant name. */
  readonly key: string;
  readonly size: number;
  readonly header: Buffer;
  readonly trailer: Buffer;
}

const CHUNK = 256 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

const JPEG_HEADER = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00,
]);
const JPEG_TRAILER = Buffer.from([0xff, 0xd9]);
const PNG_HEADER = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ftyp(brand: string): Buffer {
  const box = Buffer.alloc(24);
  box.writeUInt32BE(24, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(brand.padEnd(4, ' '), 8, 'latin1');
  box.write(brand.padEnd(4, ' '), 16, 'latin1');
  box.write('isom', 20, 'latin1');
  return box;
}

/** Header and trailer that make the bytes look like the given MIME type to sniffers. */
export function framingFor(mimeType: string): { header: Buffer; trailer: Buffer } {
  switch (mimeType) {
    case 'image/png':
      return { header: PNG_HEADER, trailer: Buffer.alloc(0) };
    case 'image/heic':
      return { header: ftyp('heic'), trailer: Buffer.alloc(0) };
    case 'video/mp4':
      return { header: ftyp('mp42'), trailer: Buffer.alloc(0) };
    case 'video/quicktime':
      return { header: ftyp('qt'), trailer: Buffer.alloc(0) };
    default:
      return { header: JPEG_HEADER, trailer: JPEG_TRAILER };
  }
}

export function contentSpec(key: string, size: number, mimeType: string): ContentSpec {
  const { header, trailer } = framingFor(mimeType);
  const minimum = header.length + trailer.length;
  return { key, size: Math.max(size, minimum), header, trailer };
}

function keystreamCipher(key: string, offset: number) {
  const aesKey = createHash('sha256').update(key).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  const block = Math.floor(offset / 16);
  // 2^53 is far beyond any size we serve; the low 8 bytes hold the block counter.
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher = createCipheriv('aes-128-ctr', aesKey, iv);
  const skip = offset % 16;
  if (skip > 0) cipher.update(ZEROS.subarray(0, skip));
  return cipher;
}

/** Streams bytes [start, end) of the content, generating them lazily with backpressure. */
export function contentStream(spec: ContentSpec, start = 0, end = spec.size): Readable {
  const bodyLength = spec.size - spec.header.length - spec.trailer.length;
  const bodyStart = spec.header.length;
  const trailerStart = bodyStart + bodyLength;
  let position = Math.max(0, start);
  const stop = Math.min(end, spec.size);
  let cipher: ReturnType<typeof keystreamCipher> | undefined;

  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (position >= stop) {
        this.push(null);
        return;
      }
      let chunk: Buffer;
      if (position < bodyStart) {
        chunk = spec.header.subarray(position, Math.min(bodyStart, stop));
      } else if (position < trailerStart) {
        cipher ??= keystreamCipher(spec.key, position - bodyStart);
        const n = Math.min(CHUNK, trailerStart - position, stop - position);
        chunk = cipher.update(ZEROS.subarray(0, n));
      } else {
        chunk = spec.trailer.subarray(position - trailerStart, stop - trailerStart);
      }
      position += chunk.length;
      this.push(chunk);
    },
  });
}

const shaCache = new Map<string, Promise<string>>();

/** sha256 (hex) of the whole content; computed by streaming, cached per key and size. */
export function contentSha256(spec: ContentSpec): Promise<string> {
  const cacheKey = `${spec.key}\u0000${spec.size}`;
  let result = shaCache.get(cacheKey);
  if (!result) {
    result = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      contentStream(spec)
        .on('data', (chunk: Buffer) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
    shaCache.set(cacheKey, result);
  }
  return result;
}
