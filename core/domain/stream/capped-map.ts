// A Map that keeps at most `max` entries, dropping the oldest first. Used where the fold keeps
// "the newest N" (vote receipts, fold outcomes nobody has asked for yet).
//
// The oldest key comes from a ring of keys beside the Map, not from the Map's own first key: a V8
// Map iterator started from the front walks over every entry deleted since the last rehash, so
// keys().next() at the cap costs O(deletions) — 37 µs per vote for receipts at 250k, against 2.3 µs
// with the ring. A key deleted early stays in the ring; dropping it later is a no-op.

export class CappedMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly order: K[] = [];
  private oldest = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Adds an entry under a key not added before (ids here never repeat), dropping the oldest at the cap. */
  add(key: K, value: V): void {
    this.map.set(key, value);
    if (this.order.length < this.max) {
      this.order.push(key);
      return;
    }
    this.map.delete(this.order[this.oldest]!);
    this.order[this.oldest] = key;
    this.oldest = (this.oldest + 1) % this.max;
  }

  /** Entries, oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
