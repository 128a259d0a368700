#!/bin/sh
# Kernel-object extensions end to end: !process, !thread, !pcr, !prcb and
# !irql against the real Windows 10 19041 triage dump (every value checked
# against the same field read with dq/dd/db/da at its documented offset),
# and against kdsim machines (x64 and x86, over KDCOM) whose objects come
# from tests/kdsim/scenarios/kobjects-*.kds.
. "$KD_SRCDIR/tests/e2e/lib.sh"

# at FILE BASE OFFSET [COLUMN]: the value dq/dd/db printed at BASE+OFFSET
# (BASE 16 hex digits, no backtick; column 2 by default), backtick removed
at() {
	hi=${2%????????}; lo=${2#????????}
	sum=$((0x$lo + $3))
	[ $sum -gt 4294967295 ] && { hi=$(printf '%08x' $((0x$hi + 1))); sum=$((sum - 4294967296)); }
	grep -m1 "^$hi\`$(printf '%08x' $sum) " "$1" | awk -v c="${4:-2}" '{print $c}' | tr -d '`'
}

DUMP="$KD_DATA/dumps/triage_x64.dmp"
if [ -r "$DUMP" ]; then
	# Documented 19041 x64 offsets (public symbols): ETHREAD.Cid 0x478,
	# KTHREAD.Teb 0xf0, ContextSwitches 0x154, State 0x184, WaitTime 0x1b4,
	# Process 0x220, KernelTime 0x28c, EPROCESS.UniqueProcessId 0x440,
	# InheritedFromUniqueProcessId 0x540, ObjectTable 0x570,
	# ImageFileName 0x5a8, KPROCESS.DirectoryTableBase 0x28; KPRCB
	# CurrentThread 8, NextThread 0x10, IdleThread 0x18, InterruptCount
	# 0x7e80, KernelTime 0x7e84, DebuggerSavedIRQL 0x7e98.
	"$KD" -z "$DUMP" -c '.thread; !process -1 0; !thread; !pcr 0; !prcb 0; !irql 0; !irql 10; !prcb 1; !nosuchext 1; q' \
		< /dev/null > "$TMP/ext.out" 2>&1
	out="$TMP/ext.out"
	th=$(sed -n 's/^Implicit thread is now \(.*\)$/\1/p' "$out" | tr -d '`')
	prcb=$(sed -n 's/^PRCB for Processor 0 at \(.*\):$/\1/p' "$out" | tr -d '`')
	[ -n "$th" ] && [ -n "$prcb" ] && ok "dump: the current thread ($th) and processor 0's PRCB ($prcb) are named" \
		|| { not_ok "dump: the current thread and PRCB are named"; cat "$out"; }
	"$KD" -z "$DUMP" -c "dq $th+478 L2; dq $th+f0 L1; dd $th+154 L1; db $th+184 L1; dd $th+1b4 L1; dq $th+220 L1; dd $th+28c L1; q" \
		< /dev/null > "$TMP/th.out" 2>&1
	f="$TMP/th.out"
	proc=$(at "$f" "$th" 0x220); pid=$(at "$f" "$th" 0x478); tid=$(at "$f" "$th" 0x478 3)
	teb=$(at "$f" "$th" 0xf0); cs=$(at "$f" "$th" 0x154); wt=$(at "$f" "$th" 0x1b4); kt=$(at "$f" "$th" 0x28c)
	pid4=$(printf '%04x' $((0x$pid))); tid4=$(printf '%04x' $((0x$tid)))
	expect "$out" "THREAD $th  Cid $pid4.$tid4  Teb: $teb Win32Thread: 0000000000000000 RUNNING on processor 0" \
		"dump: !thread names the crashing thread, its Cid ($pid4.$tid4, ETHREAD+0x478) and Teb (KTHREAD+0xf0)"
	expect "$out" "Owning Process            $proc       Image:         System" \
		"dump: !thread's owning process is KTHREAD.Process (+0x220)"
	expect "$out" "Context Switch Count      $(printf '%-15u' $((0x$cs)))IdealProcessor: 0" \
		"dump: context switches are KTHREAD+0x154 ($((0x$cs)))"
	expect "$out" "Wait Start TickCount      $((0x$wt))" "dump: the wait start tick is KTHREAD+0x1b4"
	ms=$(( (0x$kt) * 15625 / 1000 ))
	expect "$out" "$(printf 'KernelTime                %02d:%02d:%02d.%03d' $((ms / 3600000)) $((ms / 60000 % 60)) $((ms / 1000 % 60)) $((ms % 1000)))" \
		"dump: kernel time is KTHREAD+0x28c ticks of 15.625 ms"
	grep -q '^Child-SP          RetAddr           Call Site$' "$out" && ok "dump: !thread ends with the thread's stack" \
		|| { not_ok "dump: !thread ends with the thread's stack"; cat "$out"; }

	"$KD" -z "$DUMP" -c "dq $proc+440 L1; dq $proc+540 L1; dq $proc+570 L1; dq $proc+28 L1; da $proc+5a8; q" \
		< /dev/null > "$TMP/proc.out" 2>&1
	f="$TMP/proc.out"
	upid=$(at "$f" "$proc" 0x440); ppid=$(at "$f" "$proc" 0x540); otab=$(at "$f" "$proc" 0x570); dtb=$(at "$f" "$proc" 0x28)
	name=$(sed -n 's/^[0-9a-f`]* *"\(.*\)"$/\1/p' "$TMP/proc.out" | head -1)
	expect "$out" "PROCESS $proc" "dump: !process -1 0 shows the current thread's process"
	expect "$out" "    SessionId: none  Cid: $(printf '%04x' $((0x$upid)))    Peb: 00000000  ParentCid: $(printf '%04x' $((0x$ppid)))" \
		"dump: Cid is EPROCESS+0x440, ParentCid +0x540, no session"
	expect "$out" "    DirBase: $(printf '%08x' $((0x$dtb)))  ObjectTable: $otab  HandleCount: <Data Not Accessible>" \
		"dump: DirBase is KPROCESS+0x28, ObjectTable EPROCESS+0x570"
	expect "$out" "    Image: $name" "dump: the image is EPROCESS+0x5a8 ($name)"
	[ "$name" = System ] && ok "dump: !process -1 0 names the System process" || not_ok "dump: !process -1 0 names the System process"

	"$KD" -z "$DUMP" -c "dq $prcb+8 L3; dd $prcb+7e80 L2; db $prcb+7e98 L1; q" < /dev/null > "$TMP/prcb.out" 2>&1
	f="$TMP/prcb.out"
	cur=$(at "$f" "$prcb" 8); nxt=$(at "$f" "$prcb" 8 3); idle=$(at "$f" "$prcb" 0x18)
	ic=$(at "$f" "$prcb" 0x7e80); ktime=$(at "$f" "$prcb" 0x7e80 3); irql=$(at "$f" "$prcb" 0x7e98)
	bt() { echo "$1" | sed 's/^\(........\)/\1`/'; }
	expect "$out" "Threads--  Current $(bt $cur) Next $(bt $nxt) Idle $(bt $idle)" "dump: !prcb's threads are KPRCB+8/+0x10/+0x18"
	expect "$out" "Interrupt Count -- $ic" "dump: !prcb's interrupt count is KPRCB+0x7e80"
	grep -q "^         Kernel $ktime User " "$out" && ok "dump: !prcb's kernel time is KPRCB+0x7e84" \
		|| { not_ok "dump: !prcb's kernel time is KPRCB+0x7e84"; cat "$out"; }
	expect "$out" "Current IRQL -- $((0x$irql))" "dump: !prcb's IRQL is KPRCB.DebuggerSavedIRQL (+0x7e98)"
	grep -q "^Debugger saved IRQL for processor 0x0 -- $((0x$irql)) (" "$out" \
		&& ok "dump: !irql 0 shows the same saved IRQL with its name" || { not_ok "dump: !irql 0"; cat "$out"; }
	expect "$out" "KPCR for Processor 0 at ${prcb%????????}$(printf '%08x' $((0x${prcb#????????} - 0x180))):" \
		"dump: !pcr's KPCR holds the KPRCB at +0x180 (KDDEBUGGER_DATA64.OffsetPcrContainedPrcb)"
	expect "$out" "	      CurrentThread: $cur" "dump: !pcr's current thread is the KPRCB's"
	expect "$out" "Cannot get PRCB address: processor 16 does not exist (16 processors)" \
		"dump: a processor the machine does not have gives one clear error"
	expect "$out" "Processor Index 1 Number (0, 1) GroupSetMember 2" \
		"dump: !prcb 1 reads processor 1's KPRCB through KiProcessorBlock"
	expect "$out" "No export nosuchext found" "an unknown extension answers as WinDbg does"

	"$KD" -z "$DUMP" -c "dt nt!_ETHREAD $th; dt _EPROCESS $proc; dt nt!_NOSUCHTYPE; q" < /dev/null > "$TMP/dt.out" 2>&1
	out="$TMP/dt.out"
	expect "$out" "nt!_ETHREAD (built-in layout, Windows 10 2004-22H2: the nt PDB is not loaded; only the fields kd uses)" \
		"dump: dt without the nt PDB says it shows the built-in layout"
	expect "$out" "   +0x478 Cid              : _CLIENT_ID [ 0x$(printf '%x' $((0x$pid))) . 0x$(printf '%x' $((0x$tid))) ]" \
		"dump: dt nt!_ETHREAD ADDR reads Cid where dq does"
	expect "$out" "   +0x5a8 ImageFileName    : [15]  \"$name\"" "dump: dt _EPROCESS ADDR shows the image name"
	expect "$out" "Symbol nt!_NOSUCHTYPE not found." "dump: dt of a type no source knows names it"
else
	echo "# real dump checks skipped: $DUMP is absent"
fi
[ $failures -eq 0 ]
