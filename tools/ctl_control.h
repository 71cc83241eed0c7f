/*
 * ctl_control.h — relayguardctl commands that talk to the running daemon
 * over its control socket (daemon/control.h): reload, stats.
 */
#ifndef RG_CTL_CONTROL_H
#define RG_CTL_CONTROL_H

#include "ctl.h"

/* relayguardctl reload: 0 done, EX_CONFIG (78) the daemon refused the new
 * configuration (it keeps the running one), EX_TEMPFAIL (75) the daemon
 * cannot be reached. */
int cmd_reload(struct ctl *c);

/* relayguardctl stats [--prometheus]: counters on stdout. */
int cmd_stats(struct ctl *c);
/* guard show [ID] | held | release|suspend|unsuspend ID: the running daemon's guard */
int cmd_guard(struct ctl *c);

#endif
