-- resume_write.lua -- a partition's resume position, written by its owner
-- (resume.h). KEYS[1]: P resume:pN. ARGV[1]: the writer's epoch; ARGV[2]:
-- the offset a new owner must read from ("" when nothing is held), ARGV[3]
-- the partition clock just before it ("" when unknown). A writer whose epoch
-- is below the key's (a newer owner claimed the partition) writes nothing.
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if tonumber(ARGV[1]) < e then
    return 0
end
redis.call('HSET', KEYS[1], 'e', ARGV[1], 'o', ARGV[2], 'c', ARGV[3])
return 1
