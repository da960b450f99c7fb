// Activities of the pick workflow around a Picker session: create it, poll it, list what the
// person picked (slim descriptors: no baseUrl leaves here), delete it. The pickerUri is meant to
// be shown to the person (it grants nothing without their sign-in), so it may travel through
// Temporal; tokens and baseUrls never do.
import type { AccountRef } from '../google/account.js';
import { GooglePhotosError } from '../google/errors.js';
import { pollingOf, type PickerClient } from '../google/picker-client.js';
import type { DescriptorPage } from '../sources/descriptor.js';
import { PickerSource } from '../sources/picker-source.js';
import { classified } from './failures.js';

export interface PickerSessionInput {
  readonly account: AccountRef;
  readonly sessionId: string;
}

export interface CreatedPickerSession {
  readonly sessionId: string;
  readonly pickerUri: string;
  readonly expireTime?: string;
  readonly pollIntervalMs: number;
  readonly timeoutInMs?: number;
}

export interface PickerSessionState {
  readonly mediaItemsSet: boolean;
  readonly pollIntervalMs?: number;
  readonly expireTime?: string;
  /** Google no longer knows the session (it expired or was deleted): nothing more will be picked. */
  readonly gone?: boolean;
}

/** Google's documented default when a session gives no pollInterval. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;

const isNotFound = (error: unknown): boolean => error instanceof GooglePhotosError && error.kind === 'not-found';

export function createPickerActivities(picker: (ref: AccountRef) => Promise<{ client: PickerClient }>) {
  return {
    /** A new Picker session, with the link the person opens to pick. */
    async createPickerSession(input: { readonly account: AccountRef }): Promise<CreatedPickerSession> {
      return classified(async () => {
        const session = await (await picker(input.account)).client.createSession();
        if (!session.pickerUri) throw new GooglePhotosError('invalid-response', 'picker.sessions.create gave no pickerUri');
        const { pollIntervalMs, timeoutInMs } = pollingOf(session);
        return {
          sessionId: session.id,
          pickerUri: session.pickerUri,
          ...(session.expireTime ? { expireTime: session.expireTime } : {}),
          pollIntervalMs: pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
          ...(timeoutInMs !== undefined ? { timeoutInMs } : {}),
        };
      });
    },
    /** Whether the person has picked yet; a session Google no longer knows is `gone`. */
    async getPickerSession(input: PickerSessionInput): Promise<PickerSessionState> {
      return classified(async () => {
        try {
          const session = await (await picker(input.account)).client.getSession(input.sessionId);
          const { pollIntervalMs } = pollingOf(session);
          return {
            mediaItemsSet: session.mediaItemsSet === true,
            ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
            ...(session.expireTime ? { expireTime: session.expireTime } : {}),
          };
        } catch (error) {
          if (isNotFound(error)) return { mediaItemsSet: false, gone: true };
          throw error;
        }
      });
    },
    /** One page of the picked items as descriptors. */
    async listPickerPage(input: PickerSessionInput & { readonly pageToken?: string }): Promise<DescriptorPage> {
      return classified(async () => new PickerSource((await picker(input.account)).client, input.sessionId).listPage(input.pageToken));
    },
    /** Deletes the session; one Google no longer knows counts as deleted. */
    async deletePickerSession(input: PickerSessionInput): Promise<void> {
      return classified(async () => {
        try {
          await (await picker(input.account)).client.deleteSession(input.sessionId);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    },
  };
}
