// What a Takeout JSON sidecar says about its media file (google-photos-api.md §8.4), read
// defensively: every field may be missing, timestamps are strings of Unix seconds, "0" means no
// time, and a place of 0,0 means no place. The JSON itself is stored beside the item unchanged;
// this is only what the importer acts on (the item's date and layout, and the XMP sidecar).

export interface GeoPoint {
  readonly latitude: number;
  readonly longitude: number;
  readonly altitude?: number;
}

export interface TakeoutMetadata {
  /** The name the file was uploaded with (the archive may hold a cut one). */
  readonly title?: string;
  readonly description?: string;
  /** photoTakenTime, Unix seconds; absent when missing or "0". */
  readonly takenAt?: number;
  /** The capture place: geoDataExif, or geoData when that is absent or 0,0. */
  readonly geo?: GeoPoint;
  readonly favorited?: boolean;
  /** The photo's page in Google Photos. */
  readonly url?: string;
  readonly people?: readonly string[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A `{timestamp: "1696573800"}` time as Unix seconds; undefined for "0", a missing or an unreadable one. */
export function timestampOf(value: unknown): number | undefined {
  const raw = record(value)?.timestamp;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  // Before 1826 or after 2200 is not a capture time but a broken field.
  return Number.isFinite(seconds) && seconds !== 0 && Math.abs(seconds) < 7_258_118_400 ? seconds : undefined;
}

function pointOf(value: unknown): GeoPoint | undefined {
  const geo = record(value);
  const [latitude, longitude, altitude] = [geo?.latitude, geo?.longitude, geo?.altitude];
  if (typeof latitude !== 'number' || typeof longitude !== 'number' || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined;
  if ((latitude === 0 && longitude === 0) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  return { latitude, longitude, ...(typeof altitude === 'number' && Number.isFinite(altitude) ? { altitude } : {}) };
}

function peopleOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((person) => {
    const name = text(record(person)?.name);
    return name === undefined ? [] : [name];
  });
}

/** Reads a sidecar's text; undefined when it is not a JSON object (the file is then kept, but says nothing). */
export function parseSidecar(json: string): TakeoutMetadata | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const root = record(parsed);
  if (!root) return undefined;
  const [title, description, url] = [text(root.title), text(root.description), text(root.url)];
  const takenAt = timestampOf(root.photoTakenTime);
  const geo = pointOf(root.geoDataExif) ?? pointOf(root.geoData);
  const people = peopleOf(root.people);
  return {
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(takenAt !== undefined ? { takenAt } : {}),
    ...(geo ? { geo } : {}),
    ...(root.favorited === true ? { favorited: true } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(people.length > 0 ? { people } : {}),
  };
}
