/**
 * Fetches `items` with at most `ahead` fetches in flight and hands each result to `use` in the
 * items' own order: reads in parallel, applies in sequence. The first failure stops it.
 */
export async function inOrder<T, R>(items: readonly T[], ahead: number, fetch: (item: T) => Promise<R>, use: (item: T, result: R) => void): Promise<void> {
  const inFlight: Promise<R>[] = [];
  let started = 0;
  for (const item of items) {
    while (started < items.length && inFlight.length < ahead) {
      const fetching = fetch(items[started++] as T);
      fetching.catch(() => undefined); // awaited in turn below; a failure after the first is moot
      inFlight.push(fetching);
    }
    use(item, await (inFlight.shift() as Promise<R>));
  }
}
