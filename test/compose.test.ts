// docker-compose.yml and the worker image, checked without a Docker engine (none runs here):
// `docker compose config` when the compose CLI exists, and in any case the file's structure:
// every service of the production stack, images pinned to versions (no deprecated auto-setup),
// health checks, named volumes for all state, the order of the one-shot setup services. The
// image's entrypoint is run as the plain process it is, with the worker's compose command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { packageRoot } from '../src/tools/tools.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  healthcheck?: { test?: unknown };
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
}

const root = packageRoot();
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

describe('docker-compose.yml and the worker image', () => {
  it('is a valid compose file for the production stack: pinned images, health checks, volumes for all state', (t) => {
    const cli = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (cli.status === 0) {
      const config = spawnSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
      assert.equal(config.status, 0, config.stderr);
    } else t.diagnostic('no docker compose CLI here: the structure is checked below');
    const { services } = compose;
    assert.deepEqual(Object.keys(services).sort(), ['postgresql', 's3', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'worker') continue;
      const [image, tag] = (service.image ?? '').split(':');
      assert.ok(image && tag && tag !== 'latest' && /\d/.test(tag), `${name}: image pinned to a version (${service.image ?? 'none'})`);
      assert.ok(!image.includes('auto-setup'), `${name}: no deprecated auto-setup image`);
    }
    assert.equal(services.worker?.build, '.', 'the worker is built from the repository');
    for (const name of ['postgresql', 'temporal', 's3', 'worker']) assert.ok(services[name]?.healthcheck?.test, `${name} has a health check`);
    assert.equal(services.temporal?.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully', 'the schema is set up before the server starts');
    assert.equal(services.worker?.depends_on?.['temporal-namespace']?.condition, 'service_completed_successfully', 'the namespace exists before the worker starts');
    const named = Object.keys(compose.volumes ?? {});
    assert.deepEqual(named.sort(), ['postgresql-data', 's3-data', 'worker-cache']);
    assert.ok(services.worker?.volumes?.some((v) => v.startsWith('worker-cache:')), 'the manifest indexes are on a volume');
    assert.ok(services.postgresql?.volumes?.some((v) => v.startsWith('postgresql-data:')), 'the database is on a volume');
    assert.ok(services.s3?.volumes?.some((v) => v.startsWith('s3-data:')), 'the objects are on a volume');
    assert.ok(services.worker?.volumes?.some((v) => v.endsWith(':/config')), 'the sign-ins are on a volume');
    assert.ok(services.worker?.volumes?.some((v) => v.endsWith(':/takeout:ro')), 'Takeout parts reach the worker, read-only');
    assert.ok(existsSync(join(root, '.env.example')), 'an example .env for the passwords');
  });

  it("the image's entrypoint runs as a plain process, with the worker's compose command", () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    assert.equal(entrypoint[0], 'node');
    const script = (entrypoint[1] ?? '').replace(/^\/app\//, '');
    for (const copied of dockerfile.matchAll(/^COPY --from=build \/app\/(\S+) /gm)) assert.ok(existsSync(join(root, copied[1] ?? '')), `the build has ${copied[1]}`);
    const command = compose.services.worker?.command;
    assert.ok(Array.isArray(command));
    const run = spawnSync(process.execPath, [join(root, script), ...command, '--help'], { encoding: 'utf8', env: { ...process.env, GPHOTOS_CONFIG_DIR: '/nonexistent' } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Usage: gphotos-backup worker/);
    assert.match(run.stdout, /--metrics HOST:PORT/);
  });
});
