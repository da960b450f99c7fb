// Switches for the emulator's behaviour. Where Google's public reference is silent
// (google-photos-api.md marks it 'unconfirmed'), the emulator does not guess: it offers a switch,
// and tests exercise each side of it.

export interface QuotaLimits {
  /** Library API requests per quota period (10,000/day/project documented). */
  readonly libraryApi: number;
  /** Library media-byte requests (loading a baseUrl) per period (75,000/day documented). */
  readonly libraryMedia: number;
  /** Picker API requests per minute (100,000/min documented). */
  readonly pickerApiPerMinute: number;
  /** Picker media-byte requests per minute (1,000,000/min documented). */
  readonly pickerMediaPerMinute: number;
  /** Length of a Library quota period: one day at Google. */
  readonly periodMs: number;
  /**
   * Where in the period it resets, as ms after a multiple of periodMs since the epoch.
   * Google does not document the reset time (unconfirmed); other Google APIs reset at
   * midnight Pacific, which is 08:00 UTC in winter: the default.
   */
  readonly resetOffsetMs: number;
}

export interface EmulatorBehaviour {
  /** Library `pageSize` above 100: 'coerce' to 100 or 'reject' with INVALID_ARGUMENT (unconfirmed). */
  readonly libraryPageSizeOverMax: 'coerce' | 'reject';
  /** Whether Library baseUrls require `Authorization: Bearer` (unconfirmed). */
  readonly libraryMediaRequiresBearer: boolean;
  /** Whether Picker baseUrls require `Authorization: Bearer` (the Picker guide says they do). */
  readonly pickerMediaRequiresBearer: boolean;
  /** Whether media URLs honour `Range` (unconfirmed; Google documents none). */
  readonly mediaRange: boolean;
  /** Whether media responses carry Content-Length (assumed by rclone's HEAD sizing, unconfirmed). */
  readonly mediaContentLength: boolean;
  /** Lifetime of a baseUrl: about 60 minutes. */
  readonly baseUrlTtlMs: number;
  /** Lifetime of an access token, seconds (Google: 3599). */
  readonly accessTokenTtlSeconds: number;
  /** PROCESSING videos: 'present' baseUrl whose `=dv` is 404 until READY, or 'omitted' (unconfirmed). */
  readonly processingVideoBaseUrl: 'present' | 'omitted';
  /** Picker session lifetime (unconfirmed; one report says 7 days). */
  readonly pickerSessionTtlMs: number;
  /** The pollingConfig.pollInterval sessions.get suggests while the person picks (5 s observed). */
  readonly pickerPollIntervalMs: number;
  /** Picker item cap per session: 2000 per secondary quotes (unconfirmed). */
  readonly pickerMaxItems: number;
  /** Whether baseUrls of a deleted Picker session keep working until they expire (unconfirmed). */
  readonly pickerDeletedSessionUrls: 'keep-working' | 'stop-working';
  /**
   * The ids Picker items carry (unconfirmed: the reference calls them persistent across sessions,
   * nothing says whether they equal Library ids): 'library' the Library API's id, 'stable' an id of
   * its own that every session gives alike, 'per-session' a new id in every session.
   */
  readonly pickerItemIds: 'library' | 'stable' | 'per-session';
  /** Open Picker sessions per user before RESOURCE_EXHAUSTED (Google gives no number). */
  readonly pickerMaxOpenSessions: number;
  /** Return pages shorter than pageSize (and some empty ones) while more items remain. */
  readonly shortPages: boolean;
  /** Add a google.rpc.ErrorInfo to error bodies' `details` (unconfirmed; observed bodies have none). */
  readonly errorDetails: boolean;
  readonly quota: QuotaLimits;
}

export const DEFAULT_BEHAVIOUR: EmulatorBehaviour = {
  libraryPageSizeOverMax: 'coerce',
  libraryMediaRequiresBearer: false,
  pickerMediaRequiresBearer: true,
  mediaRange: false,
  mediaContentLength: true,
  baseUrlTtlMs: 60 * 60 * 1000,
  accessTokenTtlSeconds: 3599,
  processingVideoBaseUrl: 'present',
  pickerSessionTtlMs: 7 * 24 * 60 * 60 * 1000,
  pickerPollIntervalMs: 5000,
  pickerMaxItems: 2000,
  pickerDeletedSessionUrls: 'keep-working',
  pickerItemIds: 'stable',
  pickerMaxOpenSessions: 50,
  shortPages: true,
  errorDetails: false,
  quota: {
    libraryApi: 10_000,
    libraryMedia: 75_000,
    pickerApiPerMinute: 100_000,
    pickerMediaPerMinute: 1_000_000,
    periodMs: 24 * 60 * 60 * 1000,
    resetOffsetMs: 8 * 60 * 60 * 1000,
  },
};

export type BehaviourOverrides = Partial<Omit<EmulatorBehaviour, 'quota'>> & { quota?: Partial<QuotaLimits> };

export function resolveBehaviour(overrides: BehaviourOverrides = {}): EmulatorBehaviour {
  return { ...DEFAULT_BEHAVIOUR, ...overrides, quota: { ...DEFAULT_BEHAVIOUR.quota, ...overrides.quota } };
}
