// POST /votes and GET /votes/{id} (README "Topics and votes"; the receipt carries an ETag: README
// "Caching"). A vote is answered 202 once its vote_cast event is durable in the events log (nothing
// is counted here); the vote processor counts it exactly once and its votes_counted event reaches
// every engine's fold. A vote's id is its event id, so it needs no generator and is unique across
// engines. Polls: the door refuses what it can see (a topic past its ends_at by this engine's clock,
// a player who already voted on a one-vote topic); the fold has the last word, in stream order, for
// votes two engines took at once.

import { voteAnswer, voteCast, type VoteCast } from '../../core/domain/stream/events.js';
import { idField } from '../../core/domain/fields.js';
import { parsePlayerId } from '../../core/domain/stream/topic-rules.js';
import { isClosed } from '../../core/domain/stream/topics-index.js';
import { pathParam } from '../http/path-param.js';
import { STATUS_200, STATUS_202, sendError, type Handler } from '../../core/runtime/respond.js';
import { PRIVATE_REVALIDATE, cacheable, sendConditional } from '../http/conditional.js';
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
    const player = parsePlayerId(body);
    const topic = deps.stream.topics.byId(topicId);
    if (topic === undefined) return { error: 'unknown_topic' };
    if (!topic.choices.some((c) => c.id === choiceId)) return { error: 'unknown_choice' };
    if (topic.votesPerPlayer === 'one' && player === undefined) return { error: 'bad_body', message: 'player_id is required: this topic counts one vote per player' };
    if (!topic.isActive) return { error: 'topic_inactive' };
    const queuedAt = deps.clock.now();
    if (isClosed(topic, queuedAt)) return { error: 'topic_closed' };
    if (topic.votesPerPlayer === 'one' && deps.stream.hasVoted(topicId, player!)) return { error: 'already_voted' };
    if (deps.events === null) return { error: 'store_unavailable' };
    const vote: VoteCast = { topic_id: topicId, choice_id: choiceId, queued_at: queuedAt };
    if (player !== undefined) vote.player_id = player;
    // Durable once append resolves, and known to GET /votes/{id} here from then on (StreamHolder.ownWriter).
    const id = await deps.events.append(voteCast({ ...vote, idem }));
    return { status: STATUS_202, body: voteAnswer(id, vote), event: id };
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
    // The receipt's body is built per request (it is small, and there is one per vote), and so is its ETag.
    const queued = receipt.refused === undefined && receipt.countedMs === 0;
    const queuedAt = new Date(receipt.queuedMs).toISOString();
    const answer =
      receipt.refused !== undefined
        ? { id, status: 'refused', reason: receipt.refused, topic_id: receipt.topicId, choice_id: receipt.choiceId, queued_at: queuedAt }
        : queued
          ? { id, status: 'queued', queued_at: queuedAt }
          : { id, topic_id: receipt.topicId, choice_id: receipt.choiceId, created: new Date(receipt.countedMs).toISOString() };
    const body = cacheable(JSON.stringify(answer));
    const notModified = sendConditional(res, req, queued ? STATUS_202 : STATUS_200, body, PRIVATE_REVALIDATE, state.draining);
    metrics.record(route, notModified ? statusIndex['304'] : queued ? statusIndex['202'] : statusIndex['200'], startedAt);
  };
}
