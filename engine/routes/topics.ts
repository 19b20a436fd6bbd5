// Player polls (README "Topics and votes"): POST /topics and PUT /topics/{id} (admin scope; the
// key may also come as an `api_key` body field), GET /topics and GET /topics/{id} (game scope,
// `?include_votes=true` fills the tallies). Topic ids and choice ids are decided by the fold of the
// events stream, like game ids, so a write answers from the fold of its own event.

import { errorBody } from '../../core/errors.js';
import { topicCreated, topicUpdated } from '../../core/domain/stream/events.js';
import { parseTopicBody } from '../../core/domain/stream/topic-rules.js';
import { parseId } from '../../core/domain/fields.js';
import { pathParam } from '../http/path-param.js';
import { STATUS_200, STATUS_201, sendError, sendJson, type Handler } from '../../core/runtime/respond.js';
import { topicJson, type Topic, type TopicsIndex } from '../../core/domain/stream/topics-index.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';
import { streamReadDoor } from './read-door.js';
import { FOLD_WAIT_MS, writeRoute, type WriteResult } from './write-route.js';

export const TOPIC_PATH = '/topics/';

export function createTopic(deps: RouteDeps): Handler {
  return writeRoute(
    deps,
    'topics',
    'admin',
    async (body, _pathId, idem) => {
      const topic = parseTopicBody(body);
      if (deps.events === null) return { error: 'store_unavailable' };
      const id = await deps.events.append(topicCreated({ topic, at: deps.clock.now(), idem }));
      return answerFolded(deps, id, await deps.stream.outcome(id, FOLD_WAIT_MS), STATUS_201);
    },
    { bodyKey: true },
  );
}

export function updateTopic(deps: RouteDeps): Handler {
  return writeRoute(
    deps,
    'topic',
    'admin',
    async (body, pathId, idem) => {
      const topicId = parseId(pathId);
      if (topicId === null || deps.stream.topics.byId(topicId) === undefined) return { error: 'unknown_topic' };
      const topic = parseTopicBody(body);
      if (deps.events === null) return { error: 'store_unavailable' };
      const id = await deps.events.append(topicUpdated({ id: topicId, topic, at: deps.clock.now(), idem }));
      return answerFolded(deps, id, await deps.stream.outcome(id, FOLD_WAIT_MS), STATUS_200);
    },
    { bodyKey: true, idAfter: TOPIC_PATH },
  );
}

/** The topic as folded from our own event (votes null: a write does not report tallies). */
function answerFolded(deps: RouteDeps, event: string, outcome: unknown, status: Buffer): WriteResult {
  if (outcome === 'timeout') return { error: 'store_unavailable', message: 'the topic was recorded but is not visible yet; see GET /topics shortly', event };
  if (outcome === null || typeof outcome !== 'object') return { error: 'unknown_topic', event };
  return { status, body: JSON.stringify(topicJson(deps.stream.topics, outcome as Topic, false)), event };
}

const INCLUDE_VOTES = 0;
const includeVotesParam = [{ name: 'include_votes', maxLength: 5 }];
const badInclude = errorBody('bad_param', 'include_votes must be true or false');
const checkInclude = (values: readonly (string | undefined)[]) => {
  const v = values[INCLUDE_VOTES];
  return v === undefined || v === 'true' || v === 'false' ? null : badInclude;
};

export function listTopics(deps: RouteDeps): Handler {
  const door = streamReadDoor(deps, 'topics', includeVotesParam, checkInclude);
  // The list serialised once per change of the topics (or their tallies), with and without votes:
  // building it measured 39 µs per request for 10 topics × 4 choices (bench/results/latest-votes.md).
  const withVotes = new ListBody(true);
  const withoutVotes = new ListBody(false);
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const body = (r.values[INCLUDE_VOTES] === 'true' ? withVotes : withoutVotes).of(deps.stream.topics);
    sendJson(res, STATUS_200, body, deps.state.draining);
    deps.metrics.record(routeIndex.topics, statusIndex['200'], r.startedAt);
  };
}

/** GET /topics's body as bytes, rebuilt only when the index or its revision changed. */
class ListBody {
  private index: TopicsIndex | null = null;
  private revision = -1;
  private body = Buffer.alloc(0);

  constructor(private readonly includeVotes: boolean) {}

  of(topics: TopicsIndex): Buffer {
    if (topics !== this.index || topics.revision !== this.revision) {
      this.body = Buffer.from(JSON.stringify(topics.all.map((t) => topicJson(topics, t, this.includeVotes))));
      this.index = topics;
      this.revision = topics.revision;
    }
    return this.body;
  }
}

export function getTopic(deps: RouteDeps): Handler {
  const door = streamReadDoor(deps, 'topic', includeVotesParam, checkInclude);
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const id = parseId(pathParam(req, TOPIC_PATH));
    const { topics } = deps.stream;
    const topic = id === null ? undefined : topics.byId(id);
    if (topic === undefined) {
      sendError(res, 'unknown_topic', deps.state.draining);
      return deps.metrics.record(routeIndex.topic, statusIndex['404'], r.startedAt);
    }
    sendJson(res, STATUS_200, JSON.stringify(topicJson(topics, topic, r.values[INCLUDE_VOTES] === 'true')), deps.state.draining);
    deps.metrics.record(routeIndex.topic, statusIndex['200'], r.startedAt);
  };
}

