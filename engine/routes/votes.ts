// POST /votes and GET /votes/{id} (README "Topics and votes"). A vote is answered 202 once its
// vote_cast event is durable in the events log (nothing is counted here); the vote processor counts
// it exactly once and its votes_counted event reaches every engine's fold. A vote's id is its event
// id, so it needs no generator and is unique across engines.

import { voteCast } from '../../core/domain/stream/events.js';
import { idField } from '../../core/domain/fields.js';
import { pathParam } from '../http/path-param.js';
import { STATUS_200, STATUS_202, sendError, sendJson, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';
import { streamReadDoor } from './read-door.js';
import { writeRoute } from './write-route.js';

export const VOTE_PATH = '/votes/';
/** Event ids: "<ms>-<seq>". */
const VOTE_ID = /^\d{1,16}-\d{1,16}$/;

export function castVote(deps: RouteDeps): Handler {
  return writeRoute(deps, 'votes', 'game', async (body, _pathId, idem) => {
    const topicId = idField(body, 'topic_id');
    const choiceId = idField(body, 'choice_id');
    const topic = deps.stream.topics.byId(topicId);
    if (topic === undefined) return { error: 'unknown_topic' };
    if (!topic.choices.some((c) => c.id === choiceId)) return { error: 'unknown_choice' };
    if (!topic.isActive) return { error: 'topic_inactive' };
    if (deps.events === null) return { error: 'store_unavailable' };
    const queuedAt = deps.clock.now();
    // Durable once append resolves, and known to GET /votes/{id} here from then on (StreamHolder.ownWriter).
    const id = await deps.events.append(voteCast({ topic_id: topicId, choice_id: choiceId, queued_at: queuedAt, idem }));
    return { status: STATUS_202, body: JSON.stringify({ id, topic_id: topicId, choice_id: choiceId, queued_at: new Date(queuedAt).toISOString() }), event: id };
  });
}

export function getVote(deps: RouteDeps): Handler {
  const { metrics, state } = deps;
  const route = routeIndex.vote;
  const door = streamReadDoor(deps, 'vote', []);
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const startedAt = r.startedAt;
    const id = pathParam(req, VOTE_PATH);
    const receipt = VOTE_ID.test(id) ? deps.stream.vote(id) : undefined;
    if (receipt === undefined) {
      sendError(res, 'unknown_vote', state.draining);
      return metrics.record(route, statusIndex['404'], startedAt);
    }
    if (receipt.countedMs === 0) {
      sendJson(res, STATUS_202, JSON.stringify({ id, status: 'queued', queued_at: new Date(receipt.queuedMs).toISOString() }), state.draining);
      return metrics.record(route, statusIndex['202'], startedAt);
    }
    const counted = { id, topic_id: receipt.topicId, choice_id: receipt.choiceId, created: new Date(receipt.countedMs).toISOString() };
    sendJson(res, STATUS_200, JSON.stringify(counted), state.draining);
    metrics.record(route, statusIndex['200'], startedAt);
  };
}
