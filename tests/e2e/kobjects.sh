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

# --- kdsim, x64 and x86 over KDCOM ------------------------------------------
# run ARCH NAME COMMANDS: kd attached to the running kdsim, output after the prompt
run() {
	timeout 60 "$KD" -k "com:pipe,port=$TMP/com$1" -b -c "$3; q" < /dev/null 2>&1 \
		| sed -n '/^0: kd> /,$p' | sed 1d > "$TMP/$2.out"
}
# count FILE LINE: how many lines equal LINE
count() { grep -cxF -- "$2" "$1"; }

for arch in x64 x86; do
	start_sim --pipe "$TMP/com$arch" --arch $arch --cpus 2 \
		--scenario "$KD_SRCDIR/tests/kdsim/scenarios/kobjects-$arch.kds" || not_ok "$arch: kdsim loads the kobjects scenario"
	# The scenario's objects (tests/kdsim/scenarios/kobjects-*.kds).
	if [ $arch = x64 ]; then
		P1=fffff80013000000 P2=fffff80013001000 P3=fffff80013002000 T0=fffff80012f00000 T1=fffff80012f01000
		T2=fffff80013010000 T3=fffff80013011000 E1=fffff80013020000 E2=fffff80013021000 IRP=fffff80013050000
		PCR0=fffff80013100000 PRCB1='fffff800`13120180' T1b='fffff800`12f01000' IDLE1b='fffff800`13031000'
		Z=0000000000000000 Zb='00000000`00000000' PEB2=a1b2c3d000 PEB3=9e5f0ff000 TEB3=000000a1b2c3e000
		OT1=ffffad0ec1001000 DM=ffffad0ec1002000 LINKS=448 ST2=ffff850429a05c90 CUR2=ffff850429a00f00
		BASE2=ffff850429a06000 LIM2=ffff850429a00000 NT=fffff80012600000
		IRPM=fffff80013051000 DPC=fffff80013060000 IDLE0=fffff80013030000 IRQL1=0000000000000002
		IMG=5a8 P1b='fffff800`13000000' P2b='fffff800`13001000' P3b='fffff800`13002000' EV1=$P1b EV2=$P2b DA1='fffff800`130005a8'
	else
		P1=83210000 P2=83211000 P3=83212000 T0=83100000 T1=83101000 T2=83200000 T3=83201000
		E1=83220000 E2=83221000 IRP=83250000 PCR0=83300000 PRCB1=83310120 T1b=83101000 IDLE1b=83231000
		Z=00000000 Zb=00000000 PEB2=7ffdd000 PEB3=7ffde000 TEB3=7ffdf000 OT1=8b001000 DM=8b002000 LINKS=e8
		ST2=8fa05c90 CUR2=8fa00f00 BASE2=8fa06000 LIM2=8fa00000 NT=82800000
		IRPM=83251000 DPC=83260000 IDLE0=83230000 IRQL1=00000002
		IMG=1ac P1b=$P1 P2b=$P2 P3b=$P3 EV1=00000000\`$P1 EV2=00000000\`$P2 DA1=832101ac
	fi
	run $arch all '!process 0 0; !process 0 0 smss.exe'
	out="$TMP/all.out"
	expect "$out" "**** NT ACTIVE PROCESS DUMP ****" "$arch: !process 0 0 walks PsActiveProcessHead (KDDEBUGGER_DATA64+0x50)"
	[ "$(count "$out" "PROCESS $P1")" = 1 ] && [ "$(count "$out" "PROCESS $P2")" = 2 ] && [ "$(count "$out" "PROCESS $P3")" = 1 ] \
		&& ok "$arch: every process once, and the image-name filter keeps smss.exe only" \
		|| { not_ok "$arch: every process once, and the image-name filter keeps smss.exe only"; cat "$out"; }
	expect "$out" "    SessionId: none  Cid: 0004    Peb: 00000000  ParentCid: 0000" "$arch: System: Cid 4, no session, no PEB"
	expect "$out" "    DirBase: 001ad000  ObjectTable: $OT1  HandleCount: <Data Not Accessible>" "$arch: System's DirBase and ObjectTable"
	expect "$out" "    Image: System" "$arch: System's image name"
	expect "$out" "    SessionId: none  Cid: 01a4    Peb: $PEB2  ParentCid: 0004" "$arch: smss.exe's Cid, PEB and parent"
	expect "$out" "    SessionId: 1  Cid: 01f8    Peb: $PEB3  ParentCid: 01ec" "$arch: csrss.exe's session (MM_SESSION_SPACE.SessionId)"
	expect "$out" "    Image: csrss.exe" "$arch: csrss.exe's image name"

	run $arch wait "!thread $T2; !thread $T1 2; !thread"
	out="$TMP/wait.out"
	expect "$out" "THREAD $T2  Cid 0004.003c  Teb: $Z Win32Thread: $Z WAIT: (Executive) KernelMode Non-Alertable" \
		"$arch: !thread of a waiting thread: Cid, Teb and its wait"
	expect "$out" "    $E1  NotificationEvent" "$arch: the object it waits on, by its dispatcher type"
	expect "$out" "    $IRP: (0006,0310) Flags: 00060043  Mdl: $IRPM" "$arch: its IRP list"
	expect "$out" "Owning Process            $P1       Image:         System" "$arch: the owning process"
	expect "$out" "DeviceMap                 $DM" "$arch: the process's device map"
	expect "$out" "Wait Start TickCount      64             Ticks: 436 (0:00:00:06.812)" \
		"$arch: the wait start tick and the ticks since (KUSER_SHARED_DATA.TickCount 500)"
	expect "$out" "Context Switch Count      5925           IdealProcessor: 2" "$arch: context switches and ideal processor"
	expect "$out" "KernelTime                00:00:00.046" "$arch: kernel time (3 ticks)"
	expect "$out" "Win32 Start Address nt+0x2ef0 (0x${NT%????}2ef0)" "$arch: the Win32 start address, symbolized"
	expect "$out" "Stack Init $ST2 Current $CUR2" "$arch: initial and current kernel stack"
	expect "$out" "Base $BASE2 Limit $LIM2 Call $Z" "$arch: stack base and limit"
	expect "$out" "Priority 16 BasePriority 13 PriorityDecrement 0 IoPriority 2 PagePriority 5" "$arch: priorities"
	grep -q " nt+0x1234\$" "$out" && ok "$arch: the stack starts where the thread's switch frame returns (nt+0x1234)" \
		|| { not_ok "$arch: the stack starts where the thread's switch frame returns"; cat "$out"; }
	grep -q "^THREAD $T1  Cid 01f8.0200  Teb: .* RUNNING on processor 1\$" "$out" \
		&& ok "$arch: a thread running on processor 1 says so (KPRCB.CurrentThread)" || { not_ok "$arch: RUNNING on processor 1"; cat "$out"; }
	grep -q "^THREAD $T0  Cid 0004.0108 .* RUNNING on processor 0\$" "$out" \
		&& ok "$arch: !thread alone is the current processor's thread" || { not_ok "$arch: !thread alone"; cat "$out"; }

	run $arch threads "!process $P2 6"
	out="$TMP/threads.out"
	expect "$out" "        THREAD $T3  Cid 01a4.01a8  Teb: $TEB3 Win32Thread: $Z WAIT: (UserRequest) UserMode Alertable" \
		"$arch: !process with flags 6 lists the process's threads (ThreadListHead), indented"
	expect "$out" "            $E2  SynchronizationEvent" "$arch: with their wait objects"

	run $arch cpu '!pcr; !prcb 1; !irql; !irql 1; !irql 2'
	out="$TMP/cpu.out"
	expect "$out" "KPCR for Processor 0 at $PCR0:" "$arch: !pcr names the processor's KPCR"
	expect "$out" "    Major 1 Minor 1" "$arch: its version"
	expect "$out" "	               Irql: $IRQL1" "$arch: its IRQL"
	expect "$out" "	      CurrentThread: $T0" "$arch: its current thread"
	expect "$out" "	         IdleThread: $IDLE0" "$arch: its idle thread"
	expect "$out" "	          DpcQueue:  0x$DPC nt+0x3456" "$arch: its DPC queue with the routine's symbol"
	expect "$out" "PRCB for Processor 1 at $PRCB1:" "$arch: !prcb 1 through KiProcessorBlock"
	expect "$out" "Threads--  Current $T1b Next $Zb Idle $IDLE1b" "$arch: processor 1's threads"
	expect "$out" "Processor Index 1 Number (0, 1) GroupSetMember 2" "$arch: processor 1's number and group"
	expect "$out" "Interrupt Count -- 000003c3" "$arch: its interrupt count"
	expect "$out" "Times -- Dpc    00000002 Interrupt 00000001 " "$arch: its DPC and interrupt times"
	expect "$out" "         Kernel 000000da User      00000000 " "$arch: its kernel and user times"
	expect "$out" "Debugger saved IRQL for processor 0x0 -- 2 (DISPATCH_LEVEL)" "$arch: !irql: processor 0's saved IRQL"
	expect "$out" "Debugger saved IRQL for processor 0x1 -- 0 (LOW_LEVEL)" "$arch: !irql 1"
	expect "$out" "Cannot get PRCB address: processor 2 does not exist (2 processors)" "$arch: !irql of a missing processor"

	# !idt: processor 0's IDT from KPCR, device vectors with their KINTERRUPT.
	if [ $arch = x64 ]; then IDT=fffff80013200000 KI=fffff80013080000 H0=fffff80012606000 H50=fffff80012607000 H51=fffff80012607100
	else IDT=80b95400 KI=83280000 H0=82806000 H50=82807000 H51=82807100; fi
	run $arch idt '!idt; !idt 0; !idt -a; !idt 100'
	out="$TMP/idt.out"
	expect "$out" "Dumping IDT: $IDT" "$arch: !idt reads the IDT base from the KPCR"
	expect "$out" "50:	$H50 TestDriver+0x1200 (KINTERRUPT $KI)" "$arch: a device vector shows its KINTERRUPT's ServiceRoutine"
	[ "$(count "$out" "00:	$H0 nt+0x6000")" = 2 ] && ok "$arch: !idt 0 and !idt -a show the exception vector, !idt alone does not" \
		|| { not_ok "$arch: !idt 0 and !idt -a show vector 0 (and !idt alone does not)"; cat "$out"; }
	expect "$out" "51:	$H51 nt+0x7100" "$arch: !idt -a shows every entry"
	expect "$out" "Syntax error: !idt [-a] [Vector] (a vector from 0 to ff)" "$arch: !idt of a vector over ff is refused"

	# I/O objects: the IRP's stack locations, devices and drivers.
	if [ $arch = x64 ]; then D1=fffff80013090000 DEV1=fffff800130a0000 DEV2=fffff800130a1000 DEV3=fffff800130a2000
		CURSL='fffff800`13050118' IRP2b='fffff800`13052020' CTX=fffff80013050800 CMPL=fffff80015a31300 EXT=fffff800130a0200 OEXT=fffff800130a0300
	else D1=83290000 DEV1=832a0000 DEV2=832a1000 DEV3=832a2000 CURSL=83250094 IRP2b=83252010 CTX=83250800 CMPL=8f401300 EXT=832a0200 OEXT=832a0300; fi
	run $arch io "!irp $IRP; !devobj $DEV1; !drvobj $D1; !thread $T3; !irp"
	out="$TMP/io.out"
	expect "$out" "Irp is active with 2 stacks 2 is current (= 0x$CURSL)" "$arch: !irp: stack count and current location"
	expect "$out" " Mdl=$IRPM: No System Buffer: Thread $T2:  Irp stack trace.  Pending has been returned" "$arch: !irp: MDL, buffer, thread, pending"
	expect "$out" " [  e, 0]   0  0 $DEV1 00000000 00000000-00000000 " "$arch: !irp: the first stack location"
	expect "$out" ">[  e, 0]   0 e1 $DEV3 00000000 $CMPL-$CTX  Success Error Cancel pending" "$arch: !irp: > marks the current location, with its control flags"
	expect "$out" "	       \\Driver\\Upper	TestDriver+0x1300" "$arch: !irp: the location's driver and completion routine"
	[ "$(count "$out" "			Args: 00000010 00000020 00222003 00000000")" = 2 ] && ok "$arch: !irp: each location's arguments" \
		|| { not_ok "$arch: !irp: each location's arguments"; cat "$out"; }
	expect "$out" " TestDev0 \\Driver\\TestDriver DriverObject $D1" "$arch: !devobj: the device's name (object header) and driver"
	expect "$out" "Current Irp $IRP RefCount 2 Type 00000022 Flags 00000050" "$arch: !devobj: current IRP, references, type, flags"
	expect "$out" "DevExt $EXT DevObjExt $OEXT " "$arch: !devobj: extensions"
	expect "$out" "AttachedDevice (Upper) $DEV3 \\Driver\\Upper" "$arch: !devobj: the device attached above"
	expect "$out" " \\Driver\\TestDriver" "$arch: !drvobj: the driver's name"
	expect "$out" "$DEV1  $DEV2  " "$arch: !drvobj: its device list"
	expect "$out" "    IRP list loops at $IRP2b: stopping" "$arch: a self-pointing IRP in a thread's list ends with a message"
	expect "$out" "Syntax error: !irp Address" "$arch: !irp without an address says how to call it"

	# !list over ActiveProcessLinks: each element's commands with @$extret.
	run $arch list '!list "-t nt!_EPROCESS.ActiveProcessLinks.Flink -e -x \"da @$extret+'$IMG'; ? @$extret\" '$P1'"; !list -t nt!_EPROCESS.ActiveProcessLinks -x "? @$extret" -m 2 '$P2
	out="$TMP/list.out"
	expect "$out" "da @\$extret+$IMG; ? @\$extret" "$arch: !list -e echoes each element's commands"
	grep -q "^$DA1  \"System\"\$" "$out" \
		&& grep -q "  \"smss.exe\"\$" "$out" && grep -q "  \"csrss.exe\"\$" "$out" \
		&& ok "$arch: !list runs the commands on System, smss.exe and csrss.exe in list order" \
		|| { not_ok "$arch: !list runs the commands on every process"; cat "$out"; }
	[ "$(grep -c "^Evaluate expression: .* = $EV1\$" "$out")" = 1 ] && [ "$(grep -c "^Evaluate expression: .* = $EV2\$" "$out")" = 2 ] \
		&& ok "$arch: @\$extret is each element's address" || { not_ok "$arch: @\$extret is each element's address"; cat "$out"; }
	expect "$out" "Stopped after 2 elements (-m 2)" "$arch: !list -m bounds the walk"

	# A cycle that never returns to the head: csrss.exe's Flink back to smss.exe.
	if [ $arch = x64 ]; then cmd="eq $P3+$LINKS $P2+$LINKS"; else cmd="ed $P3+$LINKS $P2+$LINKS"; fi
	run $arch cycle "$cmd; !process 0 0; !list -t nt!_EPROCESS.ActiveProcessLinks $P1"
	out="$TMP/cycle.out"
	expect "$out" "Loop: element $P2b was visited before; stopping" "$arch: !list stops where the list loops"
	grep -q "^The active process list loops at .*: stopping\$" "$out" \
		&& ok "$arch: a cyclic process list ends with a message, not a hang" || { not_ok "$arch: a cyclic process list ends"; cat "$out"; }
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
done

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
	"$KD" -z "$DUMP" -c 'help !process; help !list; help !nosuch; q' < /dev/null > "$TMP/help.out" 2>&1
	expect "$TMP/help.out" "!process [Process|-1|0 [Flags [ImageName]]]" "help !process gives its syntax"
	expect "$TMP/help.out" "!list -t [Module!]Type.Field -x \"Commands\" [-a \"Arguments\"] [-e] [-m Max] StartAddress" "help !list gives its syntax"
	expect "$TMP/help.out" "No command !nosuch: type help for the list" "help of an unknown command says so"

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
