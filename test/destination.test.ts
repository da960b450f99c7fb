// The S3 client follows the AWS SDK's own configuration chain for the region.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { s3ClientFor } from '../src/destination.js';
import { tempDir } from './harness/tmp.js';

const KEYS = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE', 'AWS_PROFILE'] as const;

describe('S3 client region', () => {
  const saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]));
  afterEach(() => {
    for (const key of KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  const region = () => s3ClientFor({ kind: 's3', bucket: 'photos', prefix: '' }).config.region();

  it('comes from AWS_REGION, then from the profile in the AWS config file, else us-east-1', async () => {
    const config = join(tempDir('aws'), 'config');
    writeFileSync(config, '[default]\nregion = ap-southeast-2\n\n[profile nas]\nregion = eu-central-1\n');
    for (const key of KEYS) delete process.env[key];
    process.env.AWS_CONFIG_FILE = join(tempDir('aws'), 'absent');
    assert.equal(await region(), 'us-east-1');
    process.env.AWS_CONFIG_FILE = config;
    assert.equal(await region(), 'ap-southeast-2');
    process.env.AWS_PROFILE = 'nas';
    assert.equal(await region(), 'eu-central-1');
    process.env.AWS_REGION = 'eu-west-3';
    assert.equal(await region(), 'eu-west-3');
  });
});
