/*
 * What kd -z prints once a dump is open, as WinDbg does on loading one: the
 * file and its kind, the version, session time and uptime, and the bugcheck.
 */
#ifndef KD_COMMANDS_DUMP_BANNER_H
#define KD_COMMANDS_DUMP_BANNER_H

#include "kd/engine/engine.h"

/* Print the banner for the dump target open in eng, loaded from path. */
int kd_dump_show_banner(struct kd_engine *eng, const char *path);

#endif
