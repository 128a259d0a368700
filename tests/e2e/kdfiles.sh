#!/bin/sh
# File I/O: a target that asks the debugger for a replacement driver gets
# the file a .kdfiles map names, whole, and "not found" for anything else.
. "$KD_SRCDIR/tests/e2e/lib.sh"

name='\SystemRoot\system32\drivers\TestDriver.sys'
head -c 5000 "$KD" > "$TMP/TestDriver.sys"
want=$(python3 -c "
import sys
s=0
for b in open(sys.argv[1],'rb').read(): s=(s*31+b)&0xffffffff
print('%08x'%s)" "$TMP/TestDriver.sys")

session() { # label kd-commands
	start_sim --pipe "$TMP/com-$1" --kdfile "$name" || not_ok "kdsim starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/com-$1" -b -c "$2" < /dev/null > "$TMP/$1.out" 2>&1 &
	kdpid=$!
	for i in $(seq 1 100); do grep -q "kdsim: the debugger" "$TMP/sim.out" && break; sleep 0.1; done
	kill -INT $kdpid
	wait $kdpid
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
}

session served ".kdfiles TestDriver.sys $TMP/TestDriver.sys; g"
grep -qF "kdsim: the debugger served 5000 of 5000 bytes of $name (sum $want)" "$TMP/sim.out" \
	&& ok ".kdfiles: the target receives the whole file" \
	|| { not_ok ".kdfiles: the target receives the whole file"; cat "$TMP/sim.out" "$TMP/served.out"; }
grep -q "KD: serving $TMP/TestDriver.sys" "$TMP/served.out" && ok ".kdfiles: kd says what it serves" \
	|| not_ok ".kdfiles: kd says what it serves"

session unmapped "g"
grep -qF "kdsim: the debugger has no $name (status c000000f)" "$TMP/sim.out" \
	&& ok "without a map the answer is 'no such file'" \
	|| { not_ok "without a map the answer is 'no such file'"; cat "$TMP/sim.out"; }
# A map entry matches whole path components: TestDriver.sys is not served
# for a file that merely ends in those letters.
name='\SystemRoot\system32\drivers\NotTestDriver.sys'
session suffix ".kdfiles TestDriver.sys $TMP/TestDriver.sys; g"
grep -qF "kdsim: the debugger has no $name (status c000000f)" "$TMP/sim.out" \
	&& ok ".kdfiles: a name that only ends like the map entry is not served" \
	|| { not_ok ".kdfiles: a name that only ends like the map entry is not served"; cat "$TMP/sim.out"; }
[ $failures -eq 0 ]
