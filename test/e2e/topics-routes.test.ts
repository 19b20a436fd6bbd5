// The voting contract over real HTTP (README "Topics and votes"): topics created and replaced
// with every status the contract names, keys in the body for topic writes, votes answered 202 once
// durable and counted by the vote processor (the embedded one, on the engine's file log), and
// GET /votes/{id} from queued to counted. In one server process and across two.

import t from 'tap';
import { FileVoteCounter } from '../../syncer/votes/file-vote-counter.js';
import { VOTES_GROUP } from '../../syncer/votes/vote-processor.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient, type TestClient } from '../helpers/http.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const json = (key?: string | null): Record<string, string> => ({ 'content-type': 'application/json', ...(key == null ? {} : { 'x-api-key': key }) });

function api(http: TestClient, url: string) {
  return {
    create: (body: unknown, key: string | null = ADMIN_KEY) => http.send('POST', `${url}/topics`, JSON.stringify(body), json(key)),
    update: (id: number | string, body: unknown, key: string | null = ADMIN_KEY) => http.send('PUT', `${url}/topics/${id}`, JSON.stringify(body), json(key)),
    list: (query = '') => http.get(`${url}/topics${query}`, { 'x-api-key': GAME_KEY }),
    one: (id: number | string, query = '') => http.get(`${url}/topics/${id}${query}`, { 'x-api-key': GAME_KEY }),
    vote: (body: unknown, key = GAME_KEY) => http.send('POST', `${url}/votes`, JSON.stringify(body), json(key)),
    receipt: (id: string) => http.get(`${url}/votes/${id}?api_key=${GAME_KEY}`),
  };
}

for (const workers of [1, 2]) {
  t.test(`ENGINE_WORKERS=${workers}: topics, votes and their receipts`, async (t) => {
    const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], workers });
    const http = httpClient(t);
    const a = api(http, eng.url);

    const created = await a.create({ title: ' Best map? ', choices: [{ description: 'Dust' }, { description: 'Nuke' }] });
    t.equal(created.status, 201);
    t.match(created.body, {
      id: 1,
      created: /^\d{4}-\d\d-\d\dT/,
      is_active: true,
      title: 'Best map?',
      choices: [
        { id: 1, description: 'Dust', votes: null },
        { id: 2, description: 'Nuke', votes: null },
      ],
    });
    t.same(Object.keys(created.body as object), ['id', 'created', 'last_upd', 'is_active', 'title', 'choices', 'votes_per_player', 'ends_at'], 'the contract keys, in order, then the poll settings');
    const second = await a.create({ title: 'Closed poll', is_active: false, choices: [{ description: 'Yes' }], api_key: ADMIN_KEY }, null);
    t.match(second, { status: 201, body: { id: 2, is_active: false, choices: [{ id: 3 }] } }, 'the key as an api_key body field');

    t.match(await a.create({ title: 'x', choices: [{ description: 'a' }] }, GAME_KEY), { status: 403, body: { error: 'forbidden' } }, 'topic writes need admin');
    t.match(await a.create({ title: 'x', choices: [{ description: 'a' }], api_key: GAME_KEY }, null), { status: 403, body: { error: 'forbidden' } }, 'a game key in the body too');
    t.match(await a.create({ title: 'x', choices: [{ description: 'a' }] }, null), { status: 401, body: { error: 'unauthorized' } }, 'no key anywhere');
    t.match(await a.create({ title: 'x', choices: [{ description: 'a' }], api_key: 'wrong' }, null), { status: 401 });
    t.match(await http.send('POST', `${eng.url}/topics`, '{not json', json()), { status: 401, body: { error: 'unauthorized' } }, 'an unreadable body has no key either');
    t.match(await a.create({ title: '', choices: [{ description: 'a' }] }), { status: 400, body: { error: 'bad_body', message: /title/ } });
    t.match(await a.create({ title: 'x', choices: [] }), { status: 400, body: { message: /choices/ } });
    t.match(await a.create({ title: 'x', is_active: 'yes', choices: [{ description: 'a' }] }), { status: 400, body: { message: /is_active/ } });
    t.match(await http.send('POST', `${eng.url}/topics`, '{"title":"x"}', { 'x-api-key': ADMIN_KEY }), { status: 415, body: { error: 'not_json' } });

    // Votes: 202 once durable; unknown topic or choice 404; inactive 409.
    const v1 = await a.vote({ topic_id: 1, choice_id: 2 });
    t.equal(v1.status, 202);
    t.match(v1.body, { id: /^\d+-\d+$/, topic_id: 1, choice_id: 2, queued_at: /^\d{4}-/ });
    const voteId = (v1.body as { id: string }).id;
    t.match(await a.receipt(voteId), { status: 202, body: { id: voteId, status: 'queued', queued_at: (v1.body as { queued_at: string }).queued_at } }, 'queued: nothing counts votes yet');
    t.match(await a.vote({ topic_id: 9, choice_id: 1 }), { status: 404, body: { error: 'unknown_topic' } });
    t.match(await a.vote({ topic_id: 1, choice_id: 3 }), { status: 404, body: { error: 'unknown_choice' } }, "another topic's choice");
    t.match(await a.vote({ topic_id: 2, choice_id: 3 }), { status: 409, body: { error: 'topic_inactive' } });
    t.match(await a.vote({ topic_id: 1 }), { status: 400, body: { error: 'bad_body', message: /choice_id/ } });
    t.match(await a.vote({ topic_id: 1, choice_id: 1 }, ADMIN_KEY), { status: 202 }, 'an admin key may vote');
    t.match(await http.send('POST', `${eng.url}/votes`, '{}', json()), { status: 401 });
    t.match(await a.receipt('1-0'), { status: 404, body: { error: 'unknown_vote' } });
    t.match(await a.receipt('nonsense'), { status: 404, body: { error: 'unknown_vote' } });
    t.same((await a.one(1, '?include_votes=true')).body, { ...(await a.one(1)).body as object, choices: [{ id: 1, description: 'Dust', votes: 0 }, { id: 2, description: 'Nuke', votes: 0 }] }, 'not counted yet: 0, not null');

    // The processor counts them; the receipt turns 200 and the tallies show on include_votes.
    await startVoteProcessor(t, eng.events);
    const counted = await eventually(() => a.receipt(voteId), (r) => r.status === 200, 10_000, 'the vote counted', 25);
    t.match(counted.body, { id: voteId, topic_id: 1, choice_id: 2, created: /^\d{4}-/ });
    t.same(Object.keys(counted.body as object), ['id', 'topic_id', 'choice_id', 'created']);
    for (let i = 0; i < 5; i++) t.equal((await a.vote({ topic_id: 1, choice_id: 2 })).status, 202);
    const tallied = await eventually(() => a.one(1, '?include_votes=true'), (r) => (r.body as { choices: { votes: number }[] }).choices[1]!.votes === 6, 10_000, 'six votes for Nuke', 25);
    t.same((tallied.body as { choices: unknown[] }).choices, [{ id: 1, description: 'Dust', votes: 1 }, { id: 2, description: 'Nuke', votes: 6 }]);

    // PUT: a choice resent with its id keeps it and its votes; one without an id is new.
    const put = await a.update(1, { title: 'Best map ever?', is_active: true, choices: [{ id: 2, description: 'Nuke (new)' }, { description: 'Mirage' }] });
    t.equal(put.status, 200);
    t.match(put.body, { id: 1, title: 'Best map ever?', choices: [{ id: 2, description: 'Nuke (new)', votes: null }, { id: 4, description: 'Mirage', votes: null }] });
    t.same((await a.one(1, '?include_votes=true')).body, { ...(put.body as object), choices: [{ id: 2, description: 'Nuke (new)', votes: 6 }, { id: 4, description: 'Mirage', votes: 0 }] });
    t.match(await a.vote({ topic_id: 1, choice_id: 1 }), { status: 404, body: { error: 'unknown_choice' } }, 'a dropped choice takes no votes');
    t.match(await a.update(1, { title: 'x', choices: [{ id: 1, description: 'old Dust' }] }), { status: 200, body: { choices: [{ id: 5 }] } }, "a dropped choice's id is not reused: it is new");
    t.match(await a.update(9, { title: 'x', choices: [{ description: 'a' }] }), { status: 404, body: { error: 'unknown_topic' } });
    t.match(await a.update('abc', { title: 'x', choices: [{ description: 'a' }] }), { status: 404, body: { error: 'unknown_topic' } });
    t.match(await a.update(1, { title: 'x', choices: [{ description: 'a' }] }, GAME_KEY), { status: 403 });
    t.match(await a.update(2, { title: 'Open now', is_active: true, choices: [{ id: 3, description: 'Yes' }], api_key: ADMIN_KEY }, null), { status: 200, body: { is_active: true } }, 'PUT takes the body key too');
    const listed = (await a.list('?include_votes=true')).body as { choices: { votes: number }[] }[];
    t.equal(listed[1]!.choices[0]!.votes, 0, 'the list with votes, before the vote');
    t.equal((await a.vote({ topic_id: 2, choice_id: 3 })).status, 202, 'reopened: takes votes');
    await eventually(() => a.list('?include_votes=true'), (r) => (r.body as { choices: { votes: number }[] }[])[1]!.choices[0]!.votes === 1, 10_000, 'the list shows the new tally (its cached body was rebuilt)', 25);

    // Reads.
    const list = await a.list();
    t.equal(list.status, 200);
    t.same((list.body as { id: number }[]).map((x) => x.id), [1, 2]);
    t.ok((list.body as { choices: { votes: unknown }[] }[]).every((x) => x.choices.every((c) => c.votes === null)), 'votes null without include_votes');
    t.match(await a.list('?include_votes=false'), { status: 200 });
    t.match(await a.list('?include_votes=yes'), { status: 400, body: { error: 'bad_param', message: /include_votes/ } });
    t.match(await a.one(3), { status: 404, body: { error: 'unknown_topic' } });
    t.match(await a.one('0'), { status: 404, body: { error: 'unknown_topic' } });
    t.match(await http.get(`${eng.url}/topics`), { status: 401 });
    t.match(await http.send('DELETE', `${eng.url}/topics/1`, undefined, { 'x-api-key': ADMIN_KEY }), { status: 405 });
    t.match(await http.get(`${eng.url}/votes`, { 'x-api-key': GAME_KEY }), { status: 405 });
  });
}

t.test('a vote delivered again is not counted again (the file counter finds it in the log)', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const a = api(http, eng.url);
  await a.create({ title: 'T', choices: [{ description: 'a' }] });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(((await a.vote({ topic_id: 1, choice_id: 1 })).body as { id: string }).id);
  await eng.events.ensureGroup(VOTES_GROUP, '0-0');
  const batch = await eng.events.readGroup(VOTES_GROUP, 'first', { count: 100 });
  t.equal((await new FileVoteCounter(eng.events, VOTES_GROUP).count(batch, Date.now())).votes, 3, 'counted');
  // As if the acknowledgement had been lost: the same batch again, to a fresh counter (a restart).
  t.equal((await new FileVoteCounter(eng.events, VOTES_GROUP).count(batch, Date.now())).votes, 0, 'none counted twice');
  const tally = await eventually(() => a.one(1, '?include_votes=true'), (r) => (r.body as { choices: { votes: number }[] }).choices[0]!.votes === 3, 10_000, 'three votes', 25);
  t.equal((tally.body as { choices: { votes: number }[] }).choices[0]!.votes, 3);
  for (const id of ids) t.equal((await a.receipt(id)).status, 200);
});
