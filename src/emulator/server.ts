// The Google Photos emulator: one loopback HTTP server with the Library API (/library), the
// Picker API (/picker), OAuth (/oauth2), media baseUrls (/lr) and a control API (/__emulator)
// through which tests inject faults, read counters and stand in for the person who picks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { BACKUP_SCOPES, SCOPES } from '../google/scopes.js';
import { Counters, Quotas, type CounterSnapshot, type QuotaBucketName } from './accounting.js';
import { resolveBehaviour, type BehaviourOverrides, type EmulatorBehaviour } from './behaviour.js';
import { contentSha256 } from './content.js';
import { applyRequestFaults, type EmulatorContext, type PickerSession } from './context.js';
import { handleControl } from './control.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { HttpError, MESSAGES, sendError } from './http.js';
import { handleLibrary } from './library-api.js';
import { contentFor, generateLibrary, newItems, type EmulatedItem, type EmulatedLibrary, type LibraryOptions } from './library.js';
import { handleMedia } from './media.js';
import { MediaUrls } from './media-urls.js';
import { OAuthServer, type OAuthClient } from './oauth.js';
import { pick, handlePicker, pickerItemId } from './picker-api.js';

export interface EmulatorOptions extends LibraryOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  readonly behaviour?: BehaviourOverrides;
  /** The OAuth client the emulator knows; a fixed desktop client by default. */
  readonly client?: OAuthClient;
}

/** The `authorized_user` JSON google-auth-library reads (UserRefreshClient.fromJSON). */
export interface AuthorizedUserCredentials {
  readonly type: 'authorized_user';
  readonly client_id: string;
  readonly client_secret: string;
  readonly refresh_token: string;
}

/** Environment variables that point gphotos-backup (and googleapis' auth client) at the emulator. */
export type EmulatorEnvironment = Readonly<Record<'GPHOTOS_LIBRARY_API_URL' | 'GPHOTOS_PICKER_API_URL' | 'GOOGLE_OAUTH_TOKEN_URL' | 'GOOGLE_OAUTH_AUTH_URL', string>>;

export const DEFAULT_EMULATOR_CLIENT: OAuthClient = {
  clientId: '000000000000-emulator.apps.googleusercontent.com',
  clientSecret: 'emulator-client-secret',
};

export class Emulator {
  private readonly server: Server;
  private readonly ctx: EmulatorContext;
  private clockOffsetMs = 0;
  private port = 0;

  private constructor(
    private readonly options: EmulatorOptions,
    library: EmulatedLibrary,
    readonly client: OAuthClient,
  ) {
    const behaviour = resolveBehaviour(options.behaviour);
    const now = () => Date.now() + this.clockOffsetMs;
    this.ctx = {
      library,
      itemsById: new Map(library.items.map((item) => [item.id, item])),
      behaviour,
      oauth: new OAuthServer(now, () => this.ctx.behaviour.accessTokenTtlSeconds),
      faults: new FaultInjector(),
      counters: new Counters(),
      quotas: new Quotas(behaviour.quota),
      mediaUrls: new MediaUrls(() => this.url),
      pickerSessions: new Map<string, PickerSession>(),
      now,
      startedAt: Date.now(),
      origin: () => this.url,
    };
    this.ctx.oauth.registerClient(client);
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  static async start(options: EmulatorOptions): Promise<Emulator> {
    const emulator = new Emulator(options, generateLibrary(options), options.client ?? DEFAULT_EMULATOR_CLIENT);
    await new Promise<void>((resolve, reject) => {
      emulator.server.once('error', reject);
      emulator.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    emulator.port = (emulator.server.address() as AddressInfo).port;
    return emulator;
  }

  /** The library as it is now (see addItems). */
  get library(): EmulatedLibrary {
    return this.ctx.library;
  }

  /** Stands in for the person adding photos to their library (taken at `creationMs`, default: some time in the past). */
  addItems(count: number, creationMs?: number): EmulatedItem[] {
    const added = newItems(this.ctx.library, count, creationMs);
    this.ctx.library = { ...this.ctx.library, items: [...this.ctx.library.items, ...added] };
    for (const item of added) this.ctx.itemsById.set(item.id, item);
    return added;
  }

  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  get behaviour(): EmulatorBehaviour {
    return this.ctx.behaviour;
  }

  env(): EmulatorEnvironment {
    return {
      GPHOTOS_LIBRARY_API_URL: `${this.url}/library`,
      GPHOTOS_PICKER_API_URL: `${this.url}/picker`,
      GOOGLE_OAUTH_TOKEN_URL: `${this.url}/oauth2/token`,
      GOOGLE_OAUTH_AUTH_URL: `${this.url}/oauth2/auth`,
    };
  }

  /** Credentials for the emulated user, as `auth login` would store them (a fresh refresh token). */
  credentials(scopes: readonly string[] = [...BACKUP_SCOPES, SCOPES.libraryAppendOnly]): AuthorizedUserCredentials {
    return {
      type: 'authorized_user',
      client_id: this.client.clientId,
      client_secret: this.client.clientSecret,
      refresh_token: this.ctx.oauth.issueRefreshToken(this.client.clientId, scopes),
    };
  }

  async writeCredentials(file: string, scopes?: readonly string[]): Promise<AuthorizedUserCredentials> {
    const credentials = this.credentials(scopes);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return credentials;
  }

  /** An access token for direct API calls in tests. */
  accessToken(scopes: readonly string[] = BACKUP_SCOPES): string {
    return this.ctx.oauth.issueAccessToken(this.client.clientId, scopes);
  }

  counters(): CounterSnapshot {
    return this.ctx.counters.snapshot();
  }

  resetCounters(): void {
    this.ctx.counters.reset();
  }

  addFault(rule: FaultRule): number {
    return this.ctx.faults.add(rule);
  }

  faults(): ReturnType<FaultInjector['list']> {
    return this.ctx.faults.list();
  }

  clearFaults(): void {
    this.ctx.faults.clear();
  }

  exhaustQuota(bucket: QuotaBucketName): string {
    this.ctx.quotas.exhaust(bucket, this.ctx.now());
    return new Date(this.ctx.quotas.resetsAt(bucket, this.ctx.now())).toISOString();
  }

  quotaUsage(): ReturnType<Quotas['usage']> {
    return this.ctx.quotas.usage(this.ctx.now());
  }

  /** Revokes one token, or every token when none is given (the user removed the app's access). */
  revoke(token?: string): number {
    if (token !== undefined) return this.ctx.oauth.revoke(token) ? 1 : 0;
    return this.ctx.oauth.revokeAll();
  }

  expireAccessTokens(): void {
    this.ctx.oauth.expireAccessTokens();
  }

  issuedTokens(): string[] {
    return this.ctx.oauth.issuedTokens();
  }

  /** Changes switches while running (e.g. make Library media require a bearer token). */
  setBehaviour(overrides: BehaviourOverrides): void {
    this.ctx.behaviour = resolveBehaviour({ ...this.ctx.behaviour, ...overrides, quota: { ...this.ctx.behaviour.quota, ...overrides.quota } });
    // New limits or reset times start fresh windows.
    if (overrides.quota) this.ctx.quotas = new Quotas(this.ctx.behaviour.quota);
  }

  /** Moves the emulator's clock forward (tokens and baseUrls expire, PROCESSING videos finish). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Stands in for the person: picks items in a Picker session. */
  pick(sessionId: string, choice: { mediaItemIds?: readonly string[]; count?: number } = {}): void {
    pick(this.ctx, sessionId, choice);
  }

  /** The id a Picker session shows for a library item (see behaviour `pickerItemIds`). */
  pickerIdOf(itemId: string, sessionId: string): string {
    return pickerItemId(this.ctx, sessionId, itemId);
  }

  pickerSessions(): PickerSession[] {
    return [...this.ctx.pickerSessions.values()];
  }

  item(id: string): EmulatedItem | undefined {
    return this.ctx.itemsById.get(id);
  }

  /** sha256 (hex) and size of the item's original bytes, as `=d` / `=dv` serve them. */
  async expected(id: string): Promise<{ sha256: string; size: number }> {
    const item = this.ctx.itemsById.get(id);
    if (!item) throw new Error(`unknown media item ${id}`);
    const spec = contentFor(item);
    return { sha256: await contentSha256(spec), size: spec.size };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    try {
      if (path.startsWith('/library/')) {
        if (await handleLibrary(this.ctx, req, res, path.slice('/library'.length), url)) return;
      } else if (path.startsWith('/picker/')) {
        if (await handlePicker(this.ctx, req, res, path.slice('/picker'.length), url)) return;
      } else if (path.startsWith('/lr/') && (req.method === 'GET' || req.method === 'HEAD')) {
        return await handleMedia(this.ctx, req, res, path.slice('/lr/'.length));
      } else if (path.startsWith('/oauth2/')) {
        if (await this.oauth(req, res, path, url)) return;
      } else if (path.startsWith('/__emulator/')) {
        if (await handleControl(this, req, res, path.slice('/__emulator'.length))) return;
      }
      throw new HttpError('NOT_FOUND', MESSAGES.notFound);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) return sendError(res, error);
      sendError(res, new HttpError('INTERNAL', `${MESSAGES.internal} (${(error as Error).message})`));
    }
  }

  private async oauth(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    const operation = path === '/oauth2/auth' ? 'oauth.authorize' : path === '/oauth2/token' ? 'oauth.token' : 'oauth.revoke';
    this.ctx.counters.count(operation);
    await applyRequestFaults(this.ctx, { target: 'oauth', operation });
    if (path === '/oauth2/auth' && req.method === 'GET') this.ctx.oauth.authorize(req, res, url);
    else if (path === '/oauth2/token' && req.method === 'POST') await this.ctx.oauth.token(req, res);
    else if (path === '/oauth2/revoke' && req.method === 'POST') await this.ctx.oauth.revokeEndpoint(req, res, url);
    else return false;
    return true;
  }
}
