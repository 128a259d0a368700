#!/bin/sh
# Crash dumps end to end: .dump /f and /k from kdsim (x64, x86) write files
# that kd -z reopens with the same registers; the real triage dump's
# bugcheck and version; a truncated dump gives one error and no crash.
. "$KD_SRCDIR/tests/e2e/lib.sh"

have_z=0
"$KD" --help 2>&1 | grep -q -- '-z' && have_z=1

for arch in x64 x86; do
	start_sim --pipe "$TMP/com-$arch" --arch $arch || not_ok "kdsim starts ($arch)"
	if [ $arch = x64 ]; then mem=fffff80012601f00; rowpat='^fffff800`126[0-9a-f]{5}  [0-9a-f?]{2} '; else mem=82801f00; rowpat='^828[0-9a-f]{5}  [0-9a-f?]{2} '; fi
	timeout 120 "$KD" -k "com:pipe,port=$TMP/com-$arch" -b \
		-c ".dump /f $TMP/full-$arch.dmp; .dump /k $TMP/kern-$arch.dmp; r; db $mem L3000; q" \
		< /dev/null > "$TMP/live-$arch.out" 2> "$TMP/live-$arch.err"
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
	n=$(grep -c '^Dump successfully written' "$TMP/live-$arch.out")
	[ "$n" = 2 ] && ok "$arch: .dump /f and /k write" || { not_ok "$arch: .dump /f and /k write"; cat "$TMP/live-$arch.out" "$TMP/live-$arch.err"; }
	sig=$(head -c 8 "$TMP/full-$arch.dmp" 2>/dev/null)
	want=PAGEDU64; [ $arch = x86 ] && want=PAGEDUMP
	[ "$sig" = "$want" ] && ok "$arch: the file is a $want dump" || not_ok "$arch: the file is a $want dump (got '$sig')"
	if [ $have_z = 1 ]; then
		for kind in full kern; do
			timeout 60 "$KD" -z "$TMP/$kind-$arch.dmp" -c "r; db $mem L3000; q" < /dev/null > "$TMP/$kind-$arch.out" 2>&1
			grep -E "$rowpat" "$TMP/live-$arch.out" > "$TMP/live-$arch.rows"
			grep -E "$rowpat" "$TMP/$kind-$arch.out" > "$TMP/$kind-$arch.rows"
			rows=$(wc -l < "$TMP/live-$arch.rows")
			[ "$rows" -ge 768 ] && cmp -s "$TMP/live-$arch.rows" "$TMP/$kind-$arch.rows" \
				&& ok "$arch: $kind dump reopens with byte-identical memory ($rows rows)" \
				|| { not_ok "$arch: $kind dump reopens with byte-identical memory"; diff "$TMP/live-$arch.rows" "$TMP/$kind-$arch.rows" | head -5; }
			live=$(grep -E '^(rax|eax|rip|eip)=' "$TMP/live-$arch.out")
			dump=$(grep -E '^(rax|eax|rip|eip)=' "$TMP/$kind-$arch.out")
			[ -n "$live" ] && [ "$live" = "$dump" ] && ok "$arch: $kind dump reopens with the same registers" \
				|| { not_ok "$arch: $kind dump reopens with the same registers"; cat "$TMP/$kind-$arch.out"; }
		done
	fi
done

if [ $have_z = 1 ] && [ -f "$KD_DATA/dumps/triage_x64.dmp" ]; then
	timeout 60 "$KD" -z "$KD_DATA/dumps/triage_x64.dmp" -c ".bugcheck; vertarget; q" < /dev/null > "$TMP/triage.out" 2>&1
	expect "$TMP/triage.out" "Bugcheck code 1000007E" "triage: bugcheck code"
	expect "$TMP/triage.out" 'Arguments ffffffff`c0000005 fffff804`8b58334c ffff8504`29891ee8 ffff8504`29891720' "triage: bugcheck arguments"
	grep -q "19041 MP (16 procs)" "$TMP/triage.out" && ok "triage: vertarget build and processors" || not_ok "triage: vertarget build and processors"
	# The same through kd --log-target: the dump behind a wrapping target
	# still gives the banner and .dumpdebug, and the log names the reads.
	timeout 60 "$KD" -z "$KD_DATA/dumps/triage_x64.dmp" --log-target "$TMP/triage.log" -c ".bugcheck; .dumpdebug; dq @rsp L2; q" \
		< /dev/null > "$TMP/triage-log.out" 2>&1
	expect "$TMP/triage-log.out" "Bugcheck code 1000007E" "triage through --log-target: bugcheck code"
	grep -q "^Loading Dump File \[" "$TMP/triage-log.out" && ok "triage through --log-target: the load banner" \
		|| not_ok "triage through --log-target: the load banner"
	grep -q "TRIAGE_DUMP\|Triage\|DumpType" "$TMP/triage-log.out" && ok "triage through --log-target: .dumpdebug" \
		|| { not_ok "triage through --log-target: .dumpdebug"; head -30 "$TMP/triage-log.out"; }
	grep -q "^ *[0-9.]* open dump target" "$TMP/triage.log" && grep -q "read_virtual .* -> ok" "$TMP/triage.log" \
		&& ok "triage through --log-target: the log has the reads" || { not_ok "triage through --log-target: the log has the reads"; head "$TMP/triage.log"; }
	head -c 20000 "$TMP/full-x64.dmp" > "$TMP/cut.dmp"
	timeout 60 "$KD" -z "$TMP/cut.dmp" -c "q" < /dev/null > "$TMP/cut.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "past the end" "$TMP/cut.out" && ok "truncated dump: one clear error" \
		|| { not_ok "truncated dump: one clear error (exit $rc)"; cat "$TMP/cut.out"; }
fi

[ $failures -eq 0 ]
