-- Counts a batch of votes exactly once and acknowledges the batch, in one atomic step
-- (syncer/votes/redis-vote-counter.ts). Redis runs a script alone, so a processor that dies
-- before this call leaves its events pending (another processor claims them and runs this), and
-- one that dies after it has counted and acknowledged them together: there is no state between.
-- A vote delivered again anyway (a group recreated, a claim racing a slow processor) is found in
-- the processed set and counted no more.
--
-- KEYS[1]  the events stream
-- KEYS[2]  processed votes: sorted set, member = vote id (its event id), score = the id's ms
-- KEYS[3]  tallies: hash, choice id -> votes counted
-- ARGV[1]  the consumer group
-- ARGV[2]  now, ms since the epoch (the votes' counted time)
-- ARGV[3]  n, the number of votes in the batch
-- ARGV[4 .. 3+n]       the votes' ids
-- ARGV[4+n .. 3+2n]    their choice ids
-- ARGV[4+2n ..]        ids of the batch's other events, acknowledged with the votes
-- Returns the number of votes newly counted. When it is above 0, one votes_counted event
-- ({"at": now, "votes": [[vote id, choice id], ...]}) is appended to the stream for the engines.

local stream, processed, tallies = KEYS[1], KEYS[2], KEYS[3]
local group, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local counted = {}
for i = 1, n do
  local id, choice = ARGV[3 + i], ARGV[3 + n + i]
  local ms = string.match(id, '^(%d+)')
  if redis.call('ZADD', processed, 'NX', ms, id) == 1 then
    redis.call('HINCRBY', tallies, choice, 1)
    counted[#counted + 1] = { id, tonumber(choice) }
  end
end

local acks = {}
for i = 4, 3 + n do acks[#acks + 1] = ARGV[i] end
for i = 4 + 2 * n, #ARGV do acks[#acks + 1] = ARGV[i] end
if #acks > 0 then redis.call('XACK', stream, group, unpack(acks)) end

if #counted > 0 then
  redis.call('XADD', stream, '*', 'type', 'votes_counted', 'data', cjson.encode({ at = now, votes = counted }))
end
return #counted
