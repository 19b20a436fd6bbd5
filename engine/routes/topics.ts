// Player polls (README "Topics and votes"): POST /topics and PUT /topics/{id} (admin scope; the
// key may also come as an `api_key` body field), GET /topics and GET /topics/{id} (game scope,
// `?include_votes=true` fills the tallies; the list whole or a page at a time, every read with an
// ETag: README "Pagination", "Caching"). Topic ids and choice ids are decided by the fold of the
// events stream, like game ids, so a write answers from the fold of its own event. A PUT without
// `ends_at` or `votes_per_player` keeps the topic's; `votes_per_player` cannot change (409).

import { errorBody } from '../../core/errors.js';
import { topicCreated, topicUpdated } from '../../core/domain/stream/events.js';
import { parseTopicBody } from '../../core/domain/stream/topic-rules.js';
import { parseId } from '../../core/domain/fields.js';
import { pathParam } from '../http/path-param.js';
import { STATUS_200, STATUS_201, sendError, type Handler } from '../../core/runtime/respond.js';
import { PRIVATE_REVALIDATE, sendConditional } from '../http/conditional.js';
import { topicJson, type Topic, type TopicsIndex } from '../../core/domain/stream/topics-index.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import { ListBodies, PAGE_PARAMS, PageQuery } from './list-bodies.js';
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
      const current = topicId === null ? undefined : deps.stream.topics.byId(topicId);
      if (current === undefined) return { error: 'unknown_topic' };
      const topic = parseTopicBody(body);
      if (topic.votes_per_player !== undefined && topic.votes_per_player !== current.votesPerPlayer) {
        return { error: 'votes_per_player_fixed' };
      }
      if (deps.events === null) return { error: 'store_unavailable' };
      const id = await deps.events.append(topicUpdated({ id: current.id, topic, at: deps.clock.now(), idem }));
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
const listParams = [...includeVotesParam, ...PAGE_PARAMS];
const badInclude = errorBody('bad_param', 'include_votes must be true or false');
const checkInclude = (values: readonly (string | undefined)[]) => {
  const v = values[INCLUDE_VOTES];
  return v === undefined || v === 'true' || v === 'false' ? null : badInclude;
};

/**
 * A topic's JSON per id, with or without its tallies. The topics' revision counts every change,
 * tallies included: a body built at one revision stays valid until the next.
 */
const topicBodies = (includeVotes: boolean) =>
  new ListBodies<TopicsIndex>(
    (topics) => topics.size,
    (topics, id) => JSON.stringify(topicJson(topics, topics.byId(id)!, includeVotes)),
  );

export function listTopics(deps: RouteDeps): Handler {
  const page = new PageQuery(INCLUDE_VOTES + 1);
  const door = streamReadDoor(deps, 'topics', listParams, (values) => checkInclude(values) ?? page.check(values));
  // The list serialised once per change of the topics (or their tallies), with and without votes:
  // building it measured 39 µs per request for 10 topics × 4 choices (bench/results/latest-votes.md).
  const withVotes = topicBodies(true);
  const withoutVotes = topicBodies(false);
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const topics = deps.stream.topics;
    const bodies = r.values[INCLUDE_VOTES] === 'true' ? withVotes : withoutVotes;
    const body = page.paged ? bodies.page(topics, topics.revision, page.after, page.limit) : bodies.all(topics, topics.revision);
    const notModified = sendConditional(res, req, STATUS_200, body, PRIVATE_REVALIDATE, deps.state.draining);
    deps.metrics.record(routeIndex.topics, notModified ? statusIndex['304'] : statusIndex['200'], r.startedAt);
  };
}

export function getTopic(deps: RouteDeps): Handler {
  const door = streamReadDoor(deps, 'topic', includeVotesParam, checkInclude);
  const withVotes = topicBodies(true);
  const withoutVotes = topicBodies(false);
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const id = parseId(pathParam(req, TOPIC_PATH));
    const { topics } = deps.stream;
    const bodies = r.values[INCLUDE_VOTES] === 'true' ? withVotes : withoutVotes;
    const body = id === null ? undefined : bodies.one(topics, topics.revision, id);
    if (body === undefined) {
      sendError(res, 'unknown_topic', deps.state.draining);
      return deps.metrics.record(routeIndex.topic, statusIndex['404'], r.startedAt);
    }
    const notModified = sendConditional(res, req, STATUS_200, body, PRIVATE_REVALIDATE, deps.state.draining);
    deps.metrics.record(routeIndex.topic, notModified ? statusIndex['304'] : statusIndex['200'], r.startedAt);
  };
}
