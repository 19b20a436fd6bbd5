// The topics feed job: pull TOPICS_FEED_URL, validate it row by row, and merge it into the event
// stream the way POST /topics and PUT /topics/{id} do, so every engine folds the same topics and the
// next compaction snapshots them. The feed owns the topics it created (those with a feed key) and
// only those: a feed id never seen gets a topic_created carrying the key; a known one whose title,
// is_active, choice descriptions or ends_at (when the row has one) differ gets a topic_updated that
// replaces them (votes_per_player is taken at creation only, like POST /topics; an edit made
// through the API to a feed topic is overwritten by the next pull that differs from it); an
// unchanged one gets nothing. Topics created through the API have no feed key and are never touched.
// A topic that disappears from the feed is left as it is: the feed can create and change, not delete.
//
// Votes survive an update: each feed choice whose description matches a current choice takes that
// choice's id, so its tally stays; only new descriptions get new ids. A create appended twice (a
// crash, a leader change) folds once: the fold ignores a second topic_created with a known key. An
// update appended twice folds to the same topic, except that its new choices get fresh ids again
// (votes cast on the first ones in between stay counted under the dropped ids). Failures leave what
// was merged; the next run takes the rest.

import { singleFlight } from './single-flight.js';
import type { Clock } from '../../core/runtime/clock.js';
import { failureOutcome } from './failure-outcome.js';
import { topicCreated, topicUpdated } from '../../core/domain/stream/events.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { ChoiceInput, TopicInput } from '../../core/domain/stream/topic-rules.js';
import type { Topic } from '../../core/domain/stream/topics-index.js';
import type { EventWriter } from '../../core/store/event-log.js';
import type { NewEvent } from '../../core/domain/stream/event.js';
import type { StreamReplica } from '../stream/stream-replica.js';
import type { FeedClient } from '../feed/feed-client.js';
import { parseTopicsFeed } from '../feed/topics-feed.js';
import type { SyncerMetrics, TopicsFeedOutcome, TopicsFeedRowResult } from '../metrics.js';

/** Appends in flight at once (each resolves once durable). */
const APPEND_WINDOW = 256;

export interface SyncTopicsFeedDeps {
  feed: FeedClient;
  replica: StreamReplica;
  events: EventWriter;
  /** Checked before appending: only the active syncer merges. */
  assertLeader(): Promise<void>;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
}

export interface TopicsFeedResult {
  readonly outcome: TopicsFeedOutcome;
  /** topic_created events appended by this run. */
  readonly created: number;
  /** topic_updated events appended by this run. */
  readonly updated: number;
}

export class SyncTopicsFeed {
  constructor(private readonly d: SyncTopicsFeedDeps) {}

  /** Runs once; a call while a run is in progress shares it. */
  readonly run = singleFlight(() => this.runOnce());

  private async runOnce(): Promise<TopicsFeedResult> {
    const { feed, replica, events, metrics, log, clock } = this.d;
    const rows: Partial<Record<TopicsFeedRowResult, number>> = {};
    let created = 0;
    let updated = 0;
    const end = (outcome: TopicsFeedOutcome): TopicsFeedResult => {
      rows.created = created;
      rows.updated = updated;
      metrics.topicsFeedEnded(outcome, rows);
      // One line per run: merged and failed runs say more below.
      if (outcome === 'not_modified' || outcome === 'unchanged') log.info('topics feed unchanged; nothing to merge', { outcome, unchanged: rows.unchanged ?? null });
      return { outcome, created, updated };
    };
    try {
      const pull = await feed.pull();
      if (!pull.changed) return end('not_modified');
      const v = parseTopicsFeed(pull.text);
      Object.assign(rows, v.rejectedByReason);
      for (const r of v.rejectedSamples) log.warn('topics feed row dropped', { row: r.row, reason: r.reason, id: r.key, problem: r.problem });
      // The topics as of the stream's end: which feed ids are known and what they hold now.
      await replica.catchUp();
      const at = clock.now();
      const writes: { kind: 'created' | 'updated'; event: NewEvent }[] = [];
      for (const { key, topic } of v.topics) {
        const current = replica.state.topics.byFeed(key);
        if (current === undefined) {
          writes.push({ kind: 'created', event: topicCreated({ topic, at, feed_key: key }) });
        } else if (differs(current, topic)) {
          writes.push({ kind: 'updated', event: topicUpdated({ id: current.id, topic: keepingChoiceIds(current, topic), at }) });
        }
      }
      rows.unchanged = v.topics.length - writes.length;
      if (writes.length === 0) return end('unchanged');
      await this.d.assertLeader();
      // Issued in feed order: both event logs keep call order (one file queue, one Redis connection),
      // so new topics get their ids (the fold numbers them) in the order the feed lists them.
      for (let i = 0; i < writes.length; i += APPEND_WINDOW) {
        const window = writes.slice(i, i + APPEND_WINDOW);
        await Promise.all(window.map((w) => events.append(w.event)));
        for (const w of window) {
          if (w.kind === 'created') created++;
          else updated++;
        }
      }
      log.info('topics feed merged', { outcome: 'merged', rows: v.topics.length + v.rejectedTotal, created, updated, unchanged: rows.unchanged, rejected: v.rejectedTotal });
      return end('merged');
    } catch (err) {
      const outcome: TopicsFeedOutcome = failureOutcome(err, 'failed');
      // Topics not appended must be offered again even if the feed answers 304 next time.
      if (outcome !== 'fetch_failed') feed.forgetValidators();
      log.error('topics feed sync failed', { outcome, created, updated, err: err as Error });
      return end(outcome);
    }
  }
}

/** True when the feed's version differs from the topic in title, is_active, its choice descriptions (in order) or the end it names. */
function differs(current: Topic, fromFeed: TopicInput): boolean {
  return (
    current.title !== fromFeed.title ||
    current.isActive !== fromFeed.is_active ||
    (fromFeed.ends_at !== undefined && fromFeed.ends_at !== current.endsMs) ||
    current.choices.length !== fromFeed.choices.length ||
    current.choices.some((c, i) => c.description !== fromFeed.choices[i]!.description)
  );
}

/**
 * The feed's version with the ids of the current choices it keeps: a feed choice whose description
 * matches a current choice takes that choice's id (and so its votes). Each current choice is taken
 * at most once, in order, so a description listed twice does not give two choices one id.
 */
function keepingChoiceIds(current: Topic, fromFeed: TopicInput): TopicInput {
  const idsByDescription = new Map<string, number[]>();
  for (const c of current.choices) {
    const ids = idsByDescription.get(c.description);
    if (ids === undefined) idsByDescription.set(c.description, [c.id]);
    else ids.push(c.id);
  }
  const choices = fromFeed.choices.map((c): ChoiceInput => {
    const id = idsByDescription.get(c.description)?.shift();
    return id === undefined ? { description: c.description } : { id, description: c.description };
  });
  // Without votes_per_player: a topic keeps the one it was created with.
  const topic: TopicInput = { title: fromFeed.title, is_active: fromFeed.is_active, choices };
  if (fromFeed.ends_at !== undefined) topic.ends_at = fromFeed.ends_at;
  return topic;
}
