#!/bin/sh
# The seeds' register-context displays, end to end: kdsim lays out the
# seeds' machines (tests/kdsim/scenarios/seeds-*.kds) and kd, attached over
# a unix socket, must print exactly the expected transcripts. Without
# symbols, names are module+offset where the seeds show nt!Function+off.
# The x64 machine copies the real triage dump's fault, so its .cxr/.exr
# display must also equal what kd shows on that dump.
. "$KD_SRCDIR/tests/e2e/lib.sh"

transcript() { # arch commands expected-file
	arch=$1 cmds=$2 expected=$3
	start_sim --pipe "$TMP/com-$arch" --arch $arch --cpus 1 \
		--scenario "$KD_SRCDIR/tests/kdsim/scenarios/seeds-$arch.kds" || not_ok "kdsim loads the $arch scenario"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/com-$arch" -b -c "$cmds" < /dev/null 2> "$TMP/$arch.err" \
		| sed -n '/^0: kd> /,$p' | sed 1d > "$TMP/$arch.out"
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
	if cmp -s "$KD_SRCDIR/$expected" "$TMP/$arch.out"; then
		ok "$arch: the seed displays match $expected"
	else
		not_ok "$arch: the seed displays match $expected"
		diff "$KD_SRCDIR/$expected" "$TMP/$arch.out" | head -20
		cat "$TMP/$arch.err"
	fi
}

transcript x86 ".trap f71efb38; .trap f78aec38; ub 8082e3e1; .cxr f08536fc; r; .exr f0853aa4; .tss 28; .cxr 89000000; ub 8081c7c4; .cxr; r eip; q" \
	tests/e2e/seeds-x86.expected
transcript x64 ".cxr ffff850429891720; .exr ffff850429891ee8; .trap ffff850429892800; .cxr; r rip; q" \
	tests/e2e/seeds-x64.expected

DUMP="$KD_DATA/dumps/triage_x64.dmp"
if [ -r "$DUMP" ]; then
	"$KD" -z "$DUMP" -c ".cxr ffff850429891720; .exr ffff850429891ee8; q" < /dev/null 2>&1 \
		| sed -n '/^0: kd> /,$p' | sed 1d > "$TMP/dump.out"
	n=$(wc -l < "$TMP/dump.out")
	head -n "$n" "$KD_SRCDIR/tests/e2e/seeds-x64.expected" > "$TMP/sim-part.out"
	[ "$n" -gt 10 ] && cmp -s "$TMP/dump.out" "$TMP/sim-part.out" \
		&& ok "x64: the simulated fault displays as the real triage dump's does" \
		|| { not_ok "x64: the simulated fault displays as the real triage dump's does"; diff "$TMP/dump.out" "$TMP/sim-part.out" | head; }
else
	echo "# real dump check skipped: $DUMP is absent"
fi
[ $failures -eq 0 ]
