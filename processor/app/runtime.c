/* runtime.c -- the process-wide runtime struct and signal handling.
 *
 * The handler only sets flags (async-signal-safe). A second signal while
 * shutting down restores the default action so an impatient operator can
 * still interrupt a stuck shutdown. */
#include "runtime.h"

#include <string.h>

cp_runtime cp_rt = {.log_level = CP_LOG_INFO, .log_format = CP_LOG_TEXT, .component = "callpulse"};

static void on_stop_signal(int sig) {
    if (cp_rt.stop)
        signal(sig, SIG_DFL);
    cp_rt.stop = 1;
    cp_rt.signal = sig;
}

void cp_runtime_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void on_resize(int sig) {
    (void)sig;
    cp_rt.resized = 1;
}

void cp_runtime_watch_resize(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_resize;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
}
