/* runtime.h -- the one piece of process-wide mutable state.
 *
 * Everything else is passed explicitly. What lives here must be reachable
 * from a signal handler or from every module without plumbing: the stop
 * request and the log settings. Set once in main(), read everywhere. */
#ifndef CALLPULSE_RUNTIME_H
#define CALLPULSE_RUNTIME_H

#include <signal.h>

typedef enum { CP_LOG_DEBUG = 0, CP_LOG_INFO, CP_LOG_WARN, CP_LOG_ERROR } cp_log_level;
typedef enum { CP_LOG_TEXT = 0, CP_LOG_JSON } cp_log_format;

typedef struct cp_runtime {
    volatile sig_atomic_t stop;    /* set by SIGTERM/SIGINT: finish and exit */
    volatile sig_atomic_t signal;  /* the signal that asked us to stop */
    volatile sig_atomic_t resized; /* SIGWINCH: the terminal changed size */
    cp_log_level log_level;
    cp_log_format log_format;
    const char *component; /* "run", "broker", ... printed in every log line */
    /* Fault injection for tests only (CALLPULSE_TEST_CRASH=after-commit):
     * die as kill -9 would, right after the first batch whose alerts or
     * rewards are committed to Redis and before they are produced. */
    int crash_after_commit;
} cp_runtime;

extern cp_runtime cp_rt;

/* Install SIGTERM/SIGINT handlers that set cp_rt.stop; ignore SIGPIPE. */
void cp_runtime_install_signals(void);

/* Install a SIGWINCH handler that sets cp_rt.resized. */
void cp_runtime_watch_resize(void);

#endif
