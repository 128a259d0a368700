/*
 * Connection strings, as WinDbg's -k takes them, turned into a live target:
 *   com:pipe,port=/tmp/com1[,reconnect]     unix socket (VM COM pipe)
 *   com:port=/dev/ttyS0[,baud=115200]       serial line
 *   com:ipport=4444,port=127.0.0.1          TCP
 *   net:port=50000,key=a.b.c.d[,target=IP]  KDNET
 */
#ifndef KD_TARGETS_CONNECT_H
#define KD_TARGETS_CONNECT_H

#include <stddef.h>

#include "kd/targets/live_target.h"

int kd_connect(struct kd_engine *eng, const char *spec, const struct kd_live_options *opt,
               struct kd_target **out, char *err, size_t errlen);

#endif
