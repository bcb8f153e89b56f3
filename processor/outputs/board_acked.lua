-- board_acked.lua -- a board message the broker acknowledged is no longer
-- pending (leaderboard.h), embedded at build time (processor/embed_lua.cmake).
--
--   KEYS[1]  P lbpub:BOARD
--   ARGV[1]  the acknowledged message's seq
-- Deletes field pending only while seq is still that one (a later message
-- stays pending); answers 1.
if redis.call('HGET', KEYS[1], 'seq') == ARGV[1] then redis.call('HDEL', KEYS[1], 'pending') end
return 1
