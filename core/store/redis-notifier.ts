// The notifier port on Redis pub/sub: the syncer PUBLISHes "<kind> <version>" on one channel and
// every engine's subscriber connection hears it. Pub/sub is fire-and-forget; engines also poll, so
// a message lost while an engine was reconnecting delays its swap by one poll, never loses it.
// Subscribing needs a connection of its own (Redis allows no other commands on it).

import type { Redis } from 'ioredis';
import { snapshotKinds, type SnapshotKind } from '../domain/ads/snapshot.js';
import { SubscriberMissingError } from '../errors.js';
import type { Notifier, SnapshotListener } from './notifier.js';
import { redisKeys } from './redis-keys.js';

export class RedisNotifier implements Notifier {
  private readonly listeners = new Set<SnapshotListener>();
  private subscribed = false;

  constructor(
    private readonly publisher: Redis,
    /** A connection used for nothing else; null for a publish-only notifier (the syncer). */
    private readonly subscriber: Redis | null,
    private readonly channel = redisKeys().snapshotsChannel,
  ) {}

  async publish(kind: SnapshotKind, version: string): Promise<void> {
    await this.publisher.publish(this.channel, `${kind} ${version}`);
  }

  subscribe(listener: SnapshotListener): () => void {
    if (this.subscriber === null) throw new SubscriberMissingError('RedisNotifier was built without a subscriber connection');
    this.listeners.add(listener);
    if (!this.subscribed) {
      this.subscribed = true;
      this.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        const [kind, version] = message.split(' ');
        if (version === undefined || !snapshotKinds.includes(kind as SnapshotKind)) return;
        for (const l of this.listeners) l(kind as SnapshotKind, version);
      });
      // ioredis re-subscribes after a reconnect; a failure here is retried by the next reconnect.
      this.subscriber.subscribe(this.channel).catch(() => {});
    }
    return () => this.listeners.delete(listener);
  }
}
