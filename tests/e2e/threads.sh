#!/bin/sh
# Threads and processes end to end: .thread, .process, $thread, $proc and
# the register masks, against a kdsim machine whose KTHREAD/EPROCESS
# objects sit at the 19041 offsets (tests/kdsim/scenarios/threads-x64.kds)
# (and threads-x86.kds) and against the real triage dump. Every expected value comes from the
# scenario file or the dump, not from kd.
. "$KD_SRCDIR/tests/e2e/lib.sh"

# expect_value FILE VALUE DESCRIPTION: an "Evaluate expression" line ends in VALUE
expect_value() {
	if grep -q -- '^Evaluate expression: .* = \(00000000`\)\{0,1\}'"$2"'$' "$1"; then ok "$3"; else not_ok "$3"; sed 's/^/  | /' "$1" | head -40; fi
}

start_sim --pipe "$TMP/com" --arch x64 --cpus 2 \
	--scenario "$KD_SRCDIR/tests/kdsim/scenarios/threads-x64.kds" || not_ok "kdsim loads the threads scenario"
run() { # name commands
	timeout 60 "$KD" -k "com:pipe,port=$TMP/com" -b -c "$2; q" < /dev/null 2>&1 \
		| sed -n '/^0: kd> /,$p' | sed 1d > "$TMP/$1.out"
}

run current '.thread; ? $thread; ? $proc'
expect "$TMP/current.out" 'Implicit thread is now fffff800`12f00000' ".thread: the stopped processor's thread"
expect_value "$TMP/current.out" 'fffff800`12f10000' '$proc: the process of the current thread (ApcState.Process)'

run waiting 'lm; .thread fffff80012f20000; r; ? $thread; ? $proc; .thread; r rip'
out="$TMP/waiting.out"
expect "$out" 'fffff800`12600000 fffff800`12700000   nt         (no symbols)' \
	"a second attach to the running kernel finds its modules in PsLoadedModuleList"
expect "$out" 'Implicit thread is now fffff800`12f20000' ".thread ADDR names the thread"
expect "$out" 'Last set context:' "r under .thread shows the thread's context"
expect "$out" 'rip=fffff80012601234 rsp=ffff850429900f40 rbp=ffff850429900fd0' \
	"a waiting thread's registers come from its switch frame (Return, KernelStack+0x40, Rbp)"
expect "$out" 'nt+0x1234:' "the thread's instruction is shown where it will resume"
expect_value "$out" 'fffff800`12f20000' '$thread follows .thread'
expect_value "$out" 'fffff800`12f30000' "\$proc is the implicit thread's process"
expect "$out" 'Implicit thread is now fffff800`12f00000' ".thread without an address goes back to the current thread"
expect "$out" 'rip=fffff8001261d0b0' "and to the processor's registers"

run process '.process fffff80012f30000; ? $proc; .process; ? $proc; .thread 1234'
out="$TMP/process.out"
expect "$out" 'Implicit process is now fffff800`12f30000' ".process ADDR sets the implicit process"
expect "$out" 'WARNING: .cache forcedecodeuser is not enabled' "on a live target without /p, as WinDbg warns"
expect_value "$out" 'fffff800`12f30000' '$proc follows .process'
expect "$out" 'Implicit process is now fffff800`12f10000' ".process without an address goes back to the current thread's"
grep -q '^Unable to get context of thread 00000000`00001234: ' "$out" \
	&& ok "a bad thread address gives one clear error" || { not_ok "a bad thread address gives one clear error"; cat "$out"; }

# .process /p: the other process's DirectoryTableBase set to the machine's
# CR3 (read with rM 80) translates, and reads the same memory; one whose
# page directory is zero cannot, and says so.
run cr3 'rM 80'
cr3=$(sed -n 's/^cr0=[0-9a-f]* cr2=[0-9a-f]* cr3=\([0-9a-f]*\)$/\1/p' "$TMP/cr3.out")
[ -n "$cr3" ] && ok "rM 80 shows the control registers of a live x64 target (cr3=$cr3)" \
	|| { not_ok "rM 80 shows the control registers of a live x64 target"; cat "$TMP/cr3.out"; }
run translate "eq fffff80012f30028 $cr3; .process /p fffff80012f30000; dq fffff80012f40000 L1; .process /p fffff80012f10000; dq fffff80012f40000 L1"
out="$TMP/translate.out"
expect "$out" 'Implicit process is now fffff800`12f30000' ".process /p names the process"
expect "$out" 'Unable to translate through the page tables of process fffff800`12f10000; using the current ones' \
	".process /p with an unusable page directory says so"
n=$(grep -c '^fffff800`12f40000  11223344`55667788$' "$out")
[ "$n" = 2 ] && ok "memory reads the same through the process's page tables and after the refusal" \
	|| { not_ok "memory reads the same through the process's page tables and after the refusal"; cat "$out"; }

kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=

start_sim --pipe "$TMP/com86" --arch x86 --cpus 2 \
	--scenario "$KD_SRCDIR/tests/kdsim/scenarios/threads-x86.kds" || not_ok "kdsim loads the x86 threads scenario"
timeout 60 "$KD" -k "com:pipe,port=$TMP/com86" -b -c '.thread; ? $proc; .thread 83120000; r; ? $thread; ? $proc; .thread; r eip; q' \
	< /dev/null 2>&1 | sed -n '/^0: kd> /,$p' | sed 1d > "$TMP/x86.out"
out="$TMP/x86.out"
expect "$out" 'Implicit thread is now 83100000' "x86: .thread is the stopped processor's thread"
expect_value "$out" '83110000' 'x86: $proc from ApcState.Process'
expect "$out" 'Implicit thread is now 83120000' "x86: .thread ADDR"
expect "$out" 'eip=82801234 esp=8f900f0c ebp=8f900fd0 iopl=0         nv up ei pl nz na po nc' \
	"x86: a waiting thread resumes at its switch frame's return address, with the ebp saved above it"
expect "$out" 'nt+0x1234:' "x86: the thread's instruction is shown"
expect_value "$out" '83130000' "x86: \$proc is the implicit thread's process"
expect "$out" 'eip=8281d0b0' "x86: .thread alone goes back to the processor's registers"
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=

DUMP="$KD_DATA/dumps/triage_x64.dmp"
if [ -r "$DUMP" ]; then
	"$KD" -z "$DUMP" -c '.thread; ? $proc; ? $exentry; rm; rM 80; rM 100; rM 20; rm 0x20a; rm; q' < /dev/null > "$TMP/dump.out" 2>&1
	out="$TMP/dump.out"
	expect "$out" 'Implicit thread is now ffffc08b`de9e1640' "dump: .thread is the crashing thread"
	expect_value "$out" 'ffffc08b`dce94180' 'dump: $proc is the System process the dump saved'
	expect_value "$out" 'fffff804`7c38b010' "dump: \$exentry is nt's entry point (its optional header's AddressOfEntryPoint)"
	expect "$out" 'Register output mask is a:' "rm: x64's default mask is integer state and segments"
	expect "$out" 'cr0=0000000080050031 cr2=0000000000000000 cr3=00000000001ad000' \
		"rM 80: the control registers of the dump's KSPECIAL_REGISTERS"
	expect "$out" 'gdtr=fffff804808e2fb0   gdtl=0057 idtr=fffff804808e0000   idtl=0fff tr=0040  ldtr=0000' \
		"rM 100: descriptor and task registers"
	expect "$out" 'dr3=0000000000000000 dr6=0000000000000000 dr7=0000000000000000 cr4=0000000000350ef8' \
		"rM 20: debug registers with CR4"
	expect "$out" 'Ignored invalid bits 200' "rm: bits this machine lacks are refused as WinDbg does"
	"$KD" -z "$DUMP" -c '.cxr ffff850429891720; k 2; ? $ra; q' < /dev/null > "$TMP/ra.out" 2>&1
	ret=$(sed -n '/Child-SP/,$p' "$TMP/ra.out" | grep -m1 '^[0-9a-f]\{8\}`' | awk '{print $2}')
	[ -n "$ret" ] && grep -q "^Evaluate expression: .* = $ret\$" "$TMP/ra.out" \
		&& ok "dump: \$ra is the first frame's return address ($ret)" \
		|| { not_ok "dump: \$ra is the first frame's return address"; cat "$TMP/ra.out"; }
else
	echo "# real dump checks skipped: $DUMP is absent"
fi
[ $failures -eq 0 ]
