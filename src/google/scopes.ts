// OAuth scopes of the Google Photos APIs (google-photos-api.md §1.2).

const PREFIX = 'https://www.googleapis.com/auth/';

export const SCOPES = {
  /** Read media items and albums this app created (the only Library read scope left since 2025-04-01). */
  libraryReadAppCreated: `${PREFIX}photoslibrary.readonly.appcreateddata`,
  /** Edit app-created items and albums. */
  libraryEditAppCreated: `${PREFIX}photoslibrary.edit.appcreateddata`,
  /** Upload and create items and albums. */
  libraryAppendOnly: `${PREFIX}photoslibrary.appendonly`,
  /** Read the items a user picked in a Picker session. */
  pickerReadOnly: `${PREFIX}photospicker.mediaitems.readonly`,
} as const;

/** Scopes Google removed on 2025-04-01: tokens carrying only these are refused with 403. */
export const REMOVED_SCOPES: readonly string[] = [
  `${PREFIX}photoslibrary.readonly`,
  `${PREFIX}photoslibrary.sharing`,
  `${PREFIX}photoslibrary`,
];

/** What gphotos-backup asks for: read app-created Library items and picked items. */
export const BACKUP_SCOPES: readonly string[] = [SCOPES.libraryReadAppCreated, SCOPES.pickerReadOnly];
