// Locates the external binaries the project runs (Temporal CLI, S3 server, Temporal test server,
// Chromium for the Web UI test): an explicit
// environment variable, else the provisioning cache's tools.env, else scripts/provision-tools.sh.
import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type ToolName = 'temporal' | 's3server' | 'testserver' | 'chromium';

/** The environment variable (and tools.env key) that names each tool's binary. */
export const TOOL_ENV_VARS: Readonly<Record<ToolName, string>> = {
  temporal: 'TEMPORAL_CLI_PATH',
  s3server: 'GPHOTOS_S3_SERVER_PATH',
  /** A launcher taking `<port>` (the Java SDK's time-skipping test server). */
  testserver: 'TEMPORAL_TEST_SERVER_PATH',
  /** Debian's Chromium, for the test that opens the Web UI (optional: only that test needs it). */
  chromium: 'CHROMIUM_PATH',
};

export interface ResolveToolOptions {
  /** Environment to read (and to run the provisioning script with); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The provisioning cache, computed exactly as scripts/provision-tools.sh does. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GPHOTOS_TOOLS_DIR) return env.GPHOTOS_TOOLS_DIR;
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'gphotos-backup', 'tools');
}

/** The package root: the nearest directory at or above `from` that holds a package.json. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json found at or above ${from}`);
    dir = parent;
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Parses NAME=VALUE lines (tools.env, or the script's stdout); other lines are ignored. */
export function parseToolsEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

async function readToolsEnv(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  try {
    return parseToolsEnv(await readFile(join(toolsDir(env), 'tools.env'), 'utf8'));
  } catch {
    return {};
  }
}

/** Runs scripts/provision-tools.sh and returns its NAME=PATH lines; rejects with its stderr. */
export async function runProvisionScript(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const root = packageRoot();
  const script = join(root, 'scripts', 'provision-tools.sh');
  if (!existsSync(script)) throw new Error(`tool provisioning script not found: ${script}`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject(new Error(`could not run bash ${script}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(parseToolsEnv(stdout));
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(
        new Error(
          `tool provisioning failed: bash ${script} ${how}.\n${stderr.trim()}\n` +
            `Set TEMPORAL_CLI_PATH / GPHOTOS_S3_SERVER_PATH / TEMPORAL_TEST_SERVER_PATH to existing binaries, or fix the problem above and run the script again.`,
        ),
      );
    });
  });
}

let sharedProvisioning: Promise<Record<string, string>> | undefined;

/** Runs the script at most once per process for process.env (callers passing their own env run it each time). */
function provisionOnce(env: NodeJS.ProcessEnv | undefined): Promise<Record<string, string>> {
  if (env) return runProvisionScript(env);
  sharedProvisioning ??= runProvisionScript(process.env).catch((err: unknown) => {
    sharedProvisioning = undefined;
    throw err;
  });
  return sharedProvisioning;
}

/**
 * Returns the absolute path of a tool's executable.
 * Order: the tool's environment variable (must be executable, else an error), the cached
 * tools.env (entries that are no longer executable are ignored), then the provisioning script.
 */
export async function resolveTool(name: ToolName, options: ResolveToolOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const variable = TOOL_ENV_VARS[name];
  const given = env[variable];
  if (given) {
    if (await isExecutableFile(given)) return given;
    throw new Error(`${variable}=${given} is not an executable file (unset it to use the provisioned ${name} binary)`);
  }
  const cached = (await readToolsEnv(env))[variable];
  if (cached && (await isExecutableFile(cached))) return cached;

  const provisioned = (await provisionOnce(options.env))[variable];
  if (!provisioned) throw new Error(`tool provisioning succeeded but printed no ${variable}=... line`);
  if (!(await isExecutableFile(provisioned))) {
    throw new Error(`tool provisioning printed ${variable}=${provisioned}, which is not an executable file`);
  }
  return provisioned;
}
