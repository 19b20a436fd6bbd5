// The one mutable thing on the read path: which AdIndex is current. A swap is one reference
// assignment; a request that already holds the old index finishes on it. A failed load throws
// before install(), so the last good index stays.

import type { AdIndex } from './ad-index.js';

export class IndexHolder {
  private current: AdIndex | null = null;

  get ads(): AdIndex | null {
    return this.current;
  }

  install(next: AdIndex): void {
    this.current = next;
  }
}
