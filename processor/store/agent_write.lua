-- agent_write.lua -- the versioned write of one agent's state (agentstore.h),
-- embedded at build time (processor/embed_lua.cmake, luascripts.h).
--
-- A tiny interpreter of operations, so that one cached script serves every
-- shape of change, applied only when the state hash still holds the version
-- this process read:
--   KEYS  st, ids, kpi window 1..n, points, calls, outbox (agentlayout.h)
--   ARGV  expected version ("" = none), new version, expire ms, then ops:
--         H k n f1 v1 .. fn vn   HSET KEYS[k]
--         D k n f1 .. fn         HDEL KEYS[k]
--         X k                    DEL KEYS[k]
--         Z k n s1 m1 .. sn mn   ZADD KEYS[k]
--         R k max                ZREMRANGEBYSCORE KEYS[k] -inf (max
-- It sets field v of KEYS[1] to the new version and, when expire ms > 0,
-- PEXPIREs every key, then answers "ok"; or it answers "stale:<version>"
-- (the version found, "" for none) without touching anything.
local cur = redis.call('HGET', KEYS[1], 'v') or ''
if cur ~= ARGV[1] then return 'stale:' .. cur end
local i = 4
while i <= #ARGV do
  local op, k = ARGV[i], KEYS[tonumber(ARGV[i + 1])]
  if op == 'X' then redis.call('DEL', k); i = i + 2
  elseif op == 'R' then
    redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. ARGV[i + 2]); i = i + 3
  else
    local n = tonumber(ARGV[i + 2])
    local w = (op == 'D') and n or 2 * n
    local cmd = (op == 'H' and 'HSET') or (op == 'D' and 'HDEL') or 'ZADD'
    redis.call(cmd, k, unpack(ARGV, i + 3, i + 2 + w)); i = i + 3 + w
  end
end
redis.call('HSET', KEYS[1], 'v', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end end
return 'ok'
