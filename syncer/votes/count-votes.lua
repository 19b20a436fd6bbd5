-- Counts a batch's votes and beacons exactly once and acknowledges the batch, in one atomic step
-- (syncer/votes/redis-vote-counter.ts). Redis runs a script alone, so a processor that dies
-- before this call leaves its events pending (another processor claims them and runs this), and
-- one that dies after it has counted and acknowledged them together: there is no state between.
-- A vote delivered again anyway (a group recreated, a claim racing a slow processor) is found in
-- the processed set and counted no more. A beacon is one (decision id, kind): fired again, on this
-- engine or another, it is found in the beacons' processed set and counted no more. A click whose
-- impression, or a complete whose start, was not counted before it is counted in its own column.
-- Whether a vote counts in the engines' tallies is not decided here but by the fold of its
-- vote_cast, in stream order (README "Topics and votes": a player's second vote on a one-vote
-- topic, a vote queued after the topic's end): such a vote is processed and named in votes_counted
-- like any other, and the fold drops it. So KEYS[3] counts votes processed, refused ones included.
--
-- KEYS[1]  the events stream
-- KEYS[2]  processed votes: sorted set, member = vote id (its event id), score = the id's ms
-- KEYS[3]  tallies: hash, choice id -> votes counted
-- KEYS[4]  processed beacons: sorted set, member = "<decision id>:<kind>", score = the token's
--          expiry in ms (after it no engine accepts that beacon, so the member can be forgotten)
-- KEYS[5]  Idempotency-Keys of votes counted: sorted set, member = the scoped key, score = the ms of
--          the vote it counted
-- ARGV[1]  the consumer group
-- ARGV[2]  now, ms since the epoch (the votes' counted time)
-- ARGV[3]  n, the number of votes in the batch
-- ARGV[4]  m, the number of beacons in the batch
-- ARGV[5 .. 4+n]       the votes' ids
-- ARGV[5+n .. 4+2n]    their choice ids
-- ARGV[5+2n .. 4+3n]   their scoped Idempotency-Keys ('' for none)
-- ARGV[5+3n .. 4+3n+11m]  per beacon, 11 values: its event id, decision id, kind, prerequisite
--          kind (-1: none), ad id, country, lang, hour (ms), expiry (ms), column, column when its
--          prerequisite was not counted
-- ARGV[after the beacons ..]  ids of the batch's other events, acknowledged with the rest
-- Returns {votes newly counted, column, n, column, n, ...} for the beacons newly counted. One
-- votes_counted event ({"at": now, "votes": [[vote id, choice id], ...]}) is appended when votes
-- were counted, one beacons_counted event ({"at": now, "counts": [[ad id, country, lang, hour,
-- column, n], ...]}) when beacons were.

local stream, processed, tallies, beacons, idem = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, now, n, m = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local BEACON_FIELDS = 11
local IDEM_TTL_MS = 86400000
local beaconsAt = 5 + 3 * n
local othersAt = beaconsAt + BEACON_FIELDS * m

local counted = {}
for i = 1, n do
  local id, choice, key = ARGV[4 + i], ARGV[4 + n + i], ARGV[4 + 2 * n + i]
  local ms = string.match(id, '^(%d+)')
  if redis.call('ZADD', processed, 'NX', ms, id) == 1 then
    local fresh = true
    if key ~= '' then
      local last = redis.call('ZSCORE', idem, key)
      if last and math.abs(tonumber(ms) - tonumber(last)) <= IDEM_TTL_MS then
        fresh = false
      else
        redis.call('ZADD', idem, ms, key)
      end
    end
    if fresh then
      redis.call('HINCRBY', tallies, choice, 1)
      counted[#counted + 1] = { id, tonumber(choice) }
    end
  end
end

local acks = {}
for i = 5, 4 + n do acks[#acks + 1] = ARGV[i] end

-- Beacon counts by (ad, market, hour, column), in the order they first appear.
local rows, rowOf, byColumn, columns = {}, {}, {}, {}
for j = 0, m - 1 do
  local b = beaconsAt + BEACON_FIELDS * j
  local eventId, decision, kind, prereq = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local ad, country, lang, hour, expires = ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8]
  acks[#acks + 1] = eventId
  if redis.call('ZADD', beacons, 'NX', expires, decision .. ':' .. kind) == 1 then
    local column = ARGV[b + 9]
    if prereq ~= '-1' and not redis.call('ZSCORE', beacons, decision .. ':' .. prereq) then column = ARGV[b + 10] end
    local key = ad .. '\0' .. country .. '\0' .. lang .. '\0' .. hour .. '\0' .. column
    local row = rowOf[key]
    if row then
      row[6] = row[6] + 1
    else
      rows[#rows + 1] = { ad, country, lang, tonumber(hour), column, 1 }
      rowOf[key] = rows[#rows]
    end
    if not byColumn[column] then
      columns[#columns + 1] = column
      byColumn[column] = 0
    end
    byColumn[column] = byColumn[column] + 1
  end
end

for i = othersAt, #ARGV do acks[#acks + 1] = ARGV[i] end
if #acks > 0 then redis.call('XACK', stream, group, unpack(acks)) end

if #counted > 0 then
  redis.call('XADD', stream, '*', 'type', 'votes_counted', 'data', cjson.encode({ at = now, votes = counted }))
end
if #rows > 0 then
  redis.call('XADD', stream, '*', 'type', 'beacons_counted', 'data', cjson.encode({ at = now, counts = rows }))
end
local result = { #counted }
for _, column in ipairs(columns) do
  result[#result + 1] = column
  result[#result + 1] = byColumn[column]
end
return result
