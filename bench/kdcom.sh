#!/bin/sh
# KDCOM benchmark: round trips, bytes on the wire and wall time for attach
# and for reading 1 MiB of target memory, kd against kdsim over a unix
# socket. Run from a build directory: sh SRCDIR/bench/kdcom.sh
set -e
B=${KD_BUILDDIR:-.}
TMP=$(mktemp -d /tmp/kd-bench.XXXXXX)
trap 'kill $SIM 2>/dev/null; rm -rf "$TMP"' EXIT
"$B/tests/kdsim/kdsim" --quiet --pipe "$TMP/com1" > /dev/null &
SIM=$!
sleep 0.3
now() { date +%s.%N; }
t0=$(now)
"$B/kd/kd" -k "com:pipe,port=$TMP/com1" -b -c ".kdstats; q" < /dev/null > "$TMP/attach.out"
t1=$(now)
"$B/kd/kd" -k "com:pipe,port=$TMP/com1" -b -c ".kdstats; db fffff80012600000 L100000; .kdstats; q" < /dev/null > "$TMP/read.out"
t2=$(now)
attach=$(grep '^requests' "$TMP/attach.out" | head -1)
before=$(grep '^requests' "$TMP/read.out" | head -1)
after=$(grep '^requests' "$TMP/read.out" | tail -1)
rows=$(grep -c '^fffff800`12[67]' "$TMP/read.out")
echo "attach:        $attach"
echo "attach wall:   $(awk "BEGIN{print $t1 - $t0}") s"
echo "read 1 MiB:    before: $before"
echo "               after:  $after"
echo "               rows shown: $rows (65536 expected)"
echo "attach+read wall: $(awk "BEGIN{print $t2 - $t1}") s"
