// The optional topics feed (TOPICS_FEED_URL): a JSON array, or JSON lines, of
// `{id, title, is_active?, votes_per_player?, ends_at?, choices: [{description}]}`, where `id` is the feed's own id of the topic
// (a non-empty string or a positive integer). Validated row by row like the blacklist feed: a bad row
// is dropped with a reason, counted and sampled for the log; only a body that is neither a JSON array
// nor JSON lines is refused whole. Each topic goes through the same rules as POST /topics
// (core/domain/stream/topic-rules.ts), with any choice ids in the feed ignored: choice ids are ours, the feed only
// names descriptions (the job maps them onto the current choices). The feed id, as a string, is the
// topic's feed key: what recognises it on every later pull. Pure: the job merges the result.

import { parseTopicBody, type TopicInput } from '../../core/domain/stream/topic-rules.js';
import { InputError } from '../../core/errors.js';
import { NOT_JSON, splitFeedRows } from './feed-rows.js';

/** Why a row was dropped. A closed set: it is a metric label. */
export const topicsRejectReasons = ['not_json', 'not_an_object', 'missing_id', 'bad_id', 'bad_topic', 'duplicate_id'] as const;
export type TopicsRejectReason = (typeof topicsRejectReasons)[number];

/** Longest feed id kept: it travels in every event and snapshot of the topic. */
export const MAX_FEED_ID = 200;
const MAX_SAMPLES = 100;

export interface FeedTopic {
  /** `String(id)` of the feed row: 7 and "7" are the same topic. */
  readonly key: string;
  /** Normalised, without choice ids. */
  readonly topic: TopicInput;
}

export interface TopicsRowRejection {
  /** Position in the feed, 0-based. */
  readonly row: number;
  readonly reason: TopicsRejectReason;
  /** The feed id, when the row had a usable one. */
  readonly key?: string;
  /** What was wrong, for bad_topic: parseTopicBody's message. */
  readonly problem?: string;
}

export interface TopicsFeedValidation {
  /** Valid topics in feed order, one per feed key. */
  readonly topics: FeedTopic[];
  readonly rejectedByReason: Record<TopicsRejectReason, number>;
  readonly rejectedTotal: number;
  /** The first rows dropped, for the log. */
  readonly rejectedSamples: TopicsRowRejection[];
}

/**
 * Validates a topics feed document; throws FeedRejectedError when it is neither a JSON array nor
 * JSON lines. A feed id listed twice keeps its first valid row and drops the later ones as
 * duplicate_id, as the blacklist feed keeps the first of a repeated row: which of two versions of
 * a topic the feed meant is not ours to guess, and first-wins is stable from pull to pull.
 */
export function parseTopicsFeed(text: string): TopicsFeedValidation {
  const rows = splitFeedRows(text, 'topics feed');
  const rejectedByReason = Object.fromEntries(topicsRejectReasons.map((r) => [r, 0])) as Record<TopicsRejectReason, number>;
  const rejectedSamples: TopicsRowRejection[] = [];
  const topics: FeedTopic[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, row) => {
    const result = validateRow(raw, row);
    const rejection: TopicsRowRejection | null =
      'reason' in result ? result : seen.has(result.key) ? { row, reason: 'duplicate_id', key: result.key } : null;
    if (rejection !== null) {
      rejectedByReason[rejection.reason]++;
      if (rejectedSamples.length < MAX_SAMPLES) rejectedSamples.push(rejection);
      return;
    }
    const topic = result as FeedTopic;
    seen.add(topic.key);
    topics.push(topic);
  });
  const rejectedTotal = Object.values(rejectedByReason).reduce((a, b) => a + b, 0);
  return { topics, rejectedByReason, rejectedTotal, rejectedSamples };
}


function validateRow(raw: unknown, row: number): FeedTopic | TopicsRowRejection {
  if (raw === NOT_JSON) return { row, reason: 'not_json' };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { row, reason: 'not_an_object' };
  const r = raw as Record<string, unknown>;
  const id = feedKey(r.id);
  if ('reason' in id) return { row, reason: id.reason };
  const { key } = id;
  // Choice ids are ours: a feed that sends its own must not make parseTopicBody keep or refuse them.
  const choices = Array.isArray(r.choices)
    ? r.choices.map((c: unknown) => (typeof c === 'object' && c !== null && !Array.isArray(c) ? { ...c, id: undefined } : c))
    : r.choices;
  try {
    return { key, topic: parseTopicBody({ ...r, choices }) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { row, reason: 'bad_topic', key, problem: err.message };
  }
}

/** The feed key of a row's id: a non-blank string (kept as sent) or a positive integer, as a string. */
function feedKey(id: unknown): { key: string } | { reason: 'missing_id' | 'bad_id' } {
  if (id === undefined || id === null || (typeof id === 'string' && id.trim() === '')) return { reason: 'missing_id' };
  if (typeof id === 'string') return id.length <= MAX_FEED_ID ? { key: id } : { reason: 'bad_id' };
  if (Number.isSafeInteger(id) && (id as number) > 0) return { key: String(id) };
  return { reason: 'bad_id' };
}
