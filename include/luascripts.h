/* luascripts.h -- the Lua scripts Redis runs for the processor, each kept
 * in its own .lua file next to its owner and embedded at build time
 * (processor/embed_lua.cmake writes them into a generated C file of the build
 * tree). A script is registered with a connection and called by its
 * cp_lua_script (redis_io.h), never by a position; its interface (KEYS,
 * ARGV, reply) is at the top of its file. tests/integration/test_scripts.c
 * runs each against a real redis-server. */
#ifndef CALLPULSE_LUASCRIPTS_H
#define CALLPULSE_LUASCRIPTS_H

typedef struct cp_lua_script {
    const char *name;   /* its file's name without .lua */
    const char *source; /* the file's bytes, NUL-terminated */
} cp_lua_script;

/* processor/store/agent_write.lua: the versioned write of an agent's state
 * (agentstore.h). */
extern const cp_lua_script cp_lua_agent_write;

/* processor/outputs/board_publish.lua: the seq compare-and-set of a board
 * message (leaderboard.h). */
extern const cp_lua_script cp_lua_board_publish;

/* processor/outputs/board_acked.lua: a board message acknowledged is no
 * longer pending (leaderboard.h). */
extern const cp_lua_script cp_lua_board_acked;

/* processor/store/resume_write.lua: a partition's resume position, fenced
 * by its owner's epoch (resume.h). */
extern const cp_lua_script cp_lua_resume_write;

#endif
