-- board_publish.lua -- the compare-and-set that gives a board message its
-- seq (leaderboard.h), embedded at build time (processor/embed_lua.cmake).
--
--   KEYS[1]  P lbpub:BOARD
--   ARGV     seq expected, top, published at (epoch ms), message
-- Takes the next seq only if nobody took it since it was read: then sets
-- seq, top, at and pending and answers the new seq; otherwise answers 0
-- and changes nothing.
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', seq + 1, 'top', ARGV[2], 'at', ARGV[3], 'pending', ARGV[4])
return seq + 1
