#!/bin/sh
# Execution control end to end, on x64 and x86, over KDCOM (unix socket)
# and KDNET (UDP): kdsim runs scripted code (tests/kdsim/scenarios/
# exec-e2e-*.kds plus a load of the real xframe_eh_dll.dll) and kd must
#  - stop at a bp with the right registers (rax/eax set by the code),
#  - show the original bytes in db/u while stopped (no 0xCC of its own),
#  - step over a call with p (the callee ran), into one with t, back out
#    with gu (the caller's next instruction),
#  - fire ba w4 on a scripted write,
#  - fire a bu set before the module loaded, at the address the PDB gives,
#  - leave target memory clean after bc * + g and after q (kdsim
#    --check-clean looks at its memory).
. "$KD_SRCDIR/tests/e2e/lib.sh"

DATA=${KD_DATA:-}
if ! "$KDSIM" --help 2>&1 | grep -q -- --check-clean; then
	echo "kdsim has no --check-clean yet: skipping"
	exit 77
fi
if [ -z "$DATA" ] || [ ! -r "$DATA/pe/x64/xframe_eh_dll.dll" ]; then
	echo "KD_DATA not set or the xframe_eh_dll images are missing: skipping"
	exit 77
fi
if ! command -v llvm-pdbutil-14 >/dev/null || ! command -v llvm-readobj-14 >/dev/null; then
	echo "llvm-pdbutil-14/llvm-readobj-14 not installed: skipping"
	exit 77
fi

# The address of a function of the DLL loaded at BASE, from the PDB and
# the section table (not from kd).
func_rva() { # dir name
	off=$(llvm-pdbutil-14 dump -symbols "$1/xframe_eh_dll.pdb" |
		awk -v f="\`$2\`" '/S_[GL]PROC32/ && index($0, f) {getline; sub(/.*addr = /, ""); sub(/,.*/, ""); print; exit}')
	sec=$(echo "$off" | awk -F: '{print $1 + 0}')
	secoff=$(echo "$off" | awk -F: '{print $2 + 0}')
	va=$(llvm-readobj-14 --sections "$1/xframe_eh_dll.dll" | awk -v n="$sec" '/Section \{/ {k++} k == n && /VirtualAddress:/ {print $2; exit}')
	echo $((va + secoff))
}

# expect_in FILE TEXT DESCRIPTION: some line of kd's output contains TEXT
expect_in() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; echo "  expected text: $2"; sed 's/^/  | /' "$1" | head -80; fi
}

session() { # name arch transport [log]
	name=$1 arch=$2 transport=$3
	# "log": through kd --log-target, a target built only on the target
	# interface around the live one; every expectation must hold there too.
	extra=
	[ "${4:-}" = log ] && extra="--log-target $TMP/$name.log"
	# x64 addresses as a fixed high half and a low half the shell can add to
	if [ "$arch" = x64 ]; then
		hi=fffff800; w=16; ip=rip; ax=rax; dx=rdx
		code=$((0x12700000)) dll=$((0x14000000))
		tick() { printf '%s`%08x' $hi "$1"; }
	else
		hi=; w=8; ip=eip; ax=eax; dx=edx
		code=$((0x82900000)) dll=$((0x84000000))
		tick() { printf '%08x' "$1"; }
	fi
	addr() { printf '%s%08x' "$hi" "$1"; }
	val() { printf '%0*x' $w "$1"; }
	dir=$DATA/pe/$arch
	entry=$((dll + $(func_rva "$dir" _DllMainCRTStartup)))
	size=$(llvm-readobj-14 --file-headers "$dir/xframe_eh_dll.dll" | awk '/SizeOfImage:/ {print $2; exit}')
	# kd attaches at the first event (a breakpoint exception at the code's
	# hlt), then the code and data of the scenario run; then the module
	# load, its entry point and a last breakpoint exception.
	printf 'event exception 0 80000003 %s first\n' "$(addr $((code + 0x15)))" > "$TMP/$name.kds"
	cat "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds" >> "$TMP/$name.kds"
	printf 'event load xframe_eh_dll %s %x \\SystemRoot\\system32\\drivers\\xframe_eh_dll.dll %s\n' \
		"$(addr $dll)" "$size" "$dir/xframe_eh_dll.dll" >> "$TMP/$name.kds"
	printf 'event run 0 %s\n' "$(addr $entry)" >> "$TMP/$name.kds"
	printf 'event exception 0 80000003 %s first\n' "$(addr $((code + 0x14)))" >> "$TMP/$name.kds"
	data=$((code + 0x100000))
	if [ "$transport" = udp ]; then
		port=$(( 30000 + ($$ + ${#name}) % 20000 ))
		start_sim --udp 127.0.0.1:$port --key 1a.2b.3c.4d --arch "$arch" --scenario "$TMP/$name.kds" --check-clean \
			|| not_ok "$name: kdsim starts"
		conn="net:port=$port,key=1a.2b.3c.4d"
	else
		start_sim --pipe "$TMP/$name.sock" --arch "$arch" --scenario "$TMP/$name.kds" --check-clean \
			|| not_ok "$name: kdsim starts"
		conn="com:pipe,port=$TMP/$name.sock"
	fi
	c=$(addr $code)
	cmds="bp $c+5; bu xframe_eh_dll!_DllMainCRTStartup; ba w4 $(addr $data); bl; g; r $ip; r $ax"
	cmds="$cmds; db $c L8; u $c+5 L1; p; r $ip; r $dx; t; t; r $ip; gu; r $ip"
	cmds="$cmds; g; .echo after-write; g; r $ip; .echo before-final; bc *; g; q"
	timeout 90 "$KD" -k "$conn" $extra -y "$dir" -c "$cmds" < /dev/null > "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	[ $rc -eq 0 ] && ok "$name: kd exits 0" || { not_ok "$name: kd exits 0 (got $rc)"; sed 's/^/  | /' "$TMP/$name.err" | head -20; }
	expect "$TMP/$name.out" "     0 e Disable Clear  $(tick $((code + 5)))     0001 (0001)" "$name: bl lists the bp"
	expect "$TMP/$name.out" "     1 e Disable Clear  u$(printf '%*s' $([ $arch = x64 ] && echo 17 || echo 8) '')     0001 (0001) (xframe_eh_dll!_DllMainCRTStartup)" \
		"$name: bl lists the bu as unresolved"
	expect "$TMP/$name.out" "     2 e Disable Clear  $(tick $data) w 4 0001 (0001)" "$name: bl lists the ba"
	expect "$TMP/$name.out" "Breakpoint 0 hit" "$name: bp + g stops at the bp"
	expect "$TMP/$name.out" "$ip=$(addr $((code + 5)))" "$name: the instruction pointer is the bp's address"
	expect "$TMP/$name.out" "$ax=$(val 1)" "$name: the code's registers (mov eax,1 ran)"
	expect "$TMP/$name.out" "$(tick $code)  b8 01 00 00 00 e8 16 00                          ........" \
		"$name: db shows the original bytes, not kd's 0xCC"
	expect "$TMP/$name.out" "$(tick $((code + 5))) e816000000      call    $(tick $((code + 0x20)))" \
		"$name: u shows the original call"
	expect "$TMP/$name.out" "$ip=$(addr $((code + 0xa)))" "$name: p over the call lands after it"
	expect "$TMP/$name.out" "$dx=$(val 3)" "$name: p ran the callee (mov edx,3)"
	expect "$TMP/$name.out" "$ip=$(addr $((code + 0x20)))" "$name: t steps into the call"
	expect "$TMP/$name.out" "$ip=$(addr $((code + 0x14)))" "$name: gu returns to the caller"
	sed -n '/^after-write/q;p' "$TMP/$name.out" | grep -qx "Breakpoint 2 hit" \
		&& ok "$name: ba w4 fires on the scripted write" || { not_ok "$name: ba w4 fires on the scripted write"; sed 's/^/  | /' "$TMP/$name.out" | tail -40; }
	sed -n '/^after-write/,$p' "$TMP/$name.out" | grep -qx "Breakpoint 1 hit" \
		&& ok "$name: bu fires once kdsim loads the module" || { not_ok "$name: bu fires once kdsim loads the module"; sed 's/^/  | /' "$TMP/$name.out" | tail -30; }
	expect "$TMP/$name.out" "xframe_eh_dll!_DllMainCRTStartup:" "$name: the bu stop is named from the PDB"
	expect "$TMP/$name.out" "$ip=$(addr $entry)" "$name: the bu stop is at the entry point the PDB gives"
	sed -n '/^before-final/,$p' "$TMP/$name.out" | grep -qx "$(tick $((code + 0x14))) 90              nop" \
		&& ok "$name: after bc * + g the target runs on to its next event" \
		|| { not_ok "$name: after bc * + g the target runs on to its next event"; sed 's/^/  | /' "$TMP/$name.out" | tail -20; }
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	if grep -q "breakpoint byte left" "$TMP/sim.out"; then
		not_ok "$name: no breakpoint byte left in target memory"; sed 's/^/  | /' "$TMP/sim.out"
	elif grep -q "kdsim: memory clean" "$TMP/sim.out"; then
		ok "$name: no breakpoint byte left in target memory"
	else
		not_ok "$name: kdsim reported on its memory"; sed 's/^/  | /' "$TMP/sim.out"
	fi
	if [ -n "$extra" ]; then
		# The run went through the log target: breakpoints in and out,
		# resumes with the trace flag (t, p) and without.
		for what in "open live target" "insert_breakpoint $hi$(printf '%08x' $((code + 5))) -> ok" \
			"remove_breakpoint handle" "resume status 0x10002 trace 1" "resume status 0x10002 trace 0" "wait_stop 0 ms -> ok"; do
			grep -qF -- "$what" "$TMP/$name.log" && ok "$name: the target log shows '$what'" \
				|| { not_ok "$name: the target log shows '$what'"; head -40 "$TMP/$name.log" | sed 's/^/  | /'; }
		done
	fi
}

# q while breakpoints are set (and were in memory while the target ran)
quit_session() { # arch
	arch=$1
	if [ "$arch" = x64 ]; then code=fffff80012700000; else code=82900000; fi
	{ printf 'event exception 0 80000003 %s first\n' "$(echo $code | sed 's/0000$/0015/')"
	  cat "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds"; } > "$TMP/q$arch.kds"
	start_sim --pipe "$TMP/q$arch.sock" --arch "$arch" --scenario "$TMP/q$arch.kds" \
		--check-clean || not_ok "q-$arch: kdsim starts"
	if [ "$arch" = x64 ]; then d=fffff80012800000; else d=82a00000; fi
	timeout 60 "$KD" -k "com:pipe,port=$TMP/q$arch.sock" -c "bp $code+5; bp $code+20; ba w4 $d; ba r4 $d+4; ba w8 $d+8; ba e1 $code+a; ba w4 $d+10; g; q" \
		< /dev/null > "$TMP/q$arch.out" 2>&1
	expect "$TMP/q$arch.out" "ba: all 4 hardware breakpoint slots (Dr0-Dr3) are in use: clear (bc) or disable (bd) one first" \
		"q-$arch: a fifth hardware breakpoint is refused in one line"
	grep -qx "Breakpoint 0 hit" "$TMP/q$arch.out" && ok "q-$arch: stopped at the bp" \
		|| { not_ok "q-$arch: stopped at the bp"; sed 's/^/  | /' "$TMP/q$arch.out" "$TMP/sim.out" | tail -20; }
	sleep 0.2
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep -q "kdsim: memory clean" "$TMP/sim.out" && ! grep -q "breakpoint byte left" "$TMP/sim.out" \
		&& ok "q-$arch: no breakpoint byte left after q" \
		|| { not_ok "q-$arch: no breakpoint byte left after q"; sed 's/^/  | /' "$TMP/sim.out"; }
}

# Events: an access violation (sx default: break), sxe ld:module, sxd av
# (reported, not stopped), a bugcheck (banner, then .bugcheck); .crash.
events_session() { # arch
	arch=$1
	if [ "$arch" = x64 ]; then
		hi=fffff800; w=16; code=fffff80012700000; dll=fffff80014000000
		av="(0xFFFFFFFFC0000005,0xFFFFF80012700000,0x0000000000000001,0x0000000000000002)"
		p1=ffffffffc0000005
	else
		hi=; w=8; code=82900000; dll=84000000
		av="(0xC0000005,0x82900000,0x00000001,0x00000002)"
		p1=c0000005
	fi
	dir=$DATA/pe/$arch
	{ echo "event exception 0 80000003 $(echo $code | sed 's/0000$/0015/') first"
	  cat "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds" | grep -v '^event'
	  echo "event exception 0 c0000005 $code first 1 0"
	  echo "event load xframe_eh_dll $dll 8000 \\SystemRoot\\system32\\drivers\\xframe_eh_dll.dll $dir/xframe_eh_dll.dll"
	  echo "event exception 0 c0000005 $code first 0 0"
	  echo "event print still running after the second access violation"
	  echo "event bugcheck 7e $p1 $code 1 2"; } > "$TMP/ev$arch.kds"
	start_sim --pipe "$TMP/ev$arch.sock" --arch "$arch" --scenario "$TMP/ev$arch.kds" || not_ok "ev-$arch: kdsim starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/ev$arch.sock" -y "$dir" \
		-c "sx; g; .echo mark-ld; sxe ld:xframe_eh_dll; gh; bm xframe_eh_dll!dllmain_crt_d*; bc *; .echo mark-sxd; sxd av; g; .echo mark-second; gh; .bugcheck; q" \
		< /dev/null > "$TMP/ev$arch.out" 2>&1
	expect "$TMP/ev$arch.out" "  av - Access violation - break - not handled" "ev-$arch: sx lists av as break"
	expect "$TMP/ev$arch.out" "  ld - Load module - output" "ev-$arch: sx lists ld as output"
	sed -n '/^mark-ld/q;p' "$TMP/ev$arch.out" | grep -qx "Access violation - code c0000005 (first chance)" \
		&& ok "ev-$arch: an access violation stops the target" || not_ok "ev-$arch: an access violation stops the target"
	sed -n '/^mark-ld/,/^mark-sxd/p' "$TMP/ev$arch.out" | grep -q "^ModLoad: .*xframe_eh_dll.dll" \
		&& ! sed -n '/^mark-ld/,/^mark-sxd/p' "$TMP/ev$arch.out" | grep -q "Access violation" \
		&& ok "ev-$arch: sxe ld:xframe_eh_dll stops at its load" \
		|| { not_ok "ev-$arch: sxe ld:xframe_eh_dll stops at its load"; sed 's/^/  | /' "$TMP/ev$arch.out" | tail -30; }
	sed -n '/^mark-sxd/,/^mark-second/p' "$TMP/ev$arch.out" > "$TMP/ev$arch.sxd"
	grep -qx "Access violation - code c0000005 (first chance)" "$TMP/ev$arch.sxd" \
		&& grep -qx "Access violation - code c0000005 (!!! second chance !!!)" "$TMP/ev$arch.sxd" \
		&& ok "ev-$arch: sxd av reports the first chance, goes on not handled and stops at the second" \
		|| { not_ok "ev-$arch: sxd av reports the first chance, goes on not handled and stops at the second"; sed 's/^/  | /' "$TMP/ev$arch.out" | tail -30; }
	sed -n '/^mark-second/,$p' "$TMP/ev$arch.out" | grep -q "^still running after the second access violation" \
		&& ok "ev-$arch: gh continues the exception as handled" \
		|| { not_ok "ev-$arch: gh continues the exception as handled"; sed 's/^/  | /' "$TMP/ev$arch.out" | tail -30; }
	rva=$(func_rva "$dir" dllmain_crt_dispatch)
	if [ "$arch" = x64 ]; then bmaddr=$(printf 'fffff800`%08x' $((0x14000000 + rva))); else bmaddr=$(printf '%08x' $((0x84000000 + rva))); fi
	expect "$TMP/ev$arch.out" "  0: $bmaddr @!\"xframe_eh_dll!dllmain_crt_dispatch\"" "ev-$arch: bm sets a breakpoint on the matching function (address from the PDB)"
	expect "$TMP/ev$arch.out" "*** Fatal System Error: 0x0000007e" "ev-$arch: the bugcheck banner"
	expect "$TMP/ev$arch.out" "                       $av" "ev-$arch: the bugcheck arguments"
	expect "$TMP/ev$arch.out" "Bugcheck code 0000007E" ".bugcheck after a live bugcheck ($arch)"
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	start_sim --pipe "$TMP/cr$arch.sock" --arch "$arch" || not_ok "crash-$arch: kdsim starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/cr$arch.sock" -b -c ".crash; .bugcheck; q" \
		< /dev/null > "$TMP/cr$arch.out" 2>&1
	expect "$TMP/cr$arch.out" "*** Fatal System Error: 0x000000e2" ".crash makes the target bugcheck ($arch)"
	expect "$TMP/cr$arch.out" "Bugcheck code 000000E2" ".bugcheck after .crash ($arch)"
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
}

# .reboot waits for the target to come back and puts the breakpoints back
# in at its first module event: the scenario's code then hits the bp.
reboot_session() { # arch
	arch=$1
	if [ "$arch" = x64 ]; then code=fffff80012700000; ip=rip; else code=82900000; ip=eip; fi
	{ echo "event exception 0 80000003 $(echo $code | sed 's/0000$/0015/') first"
	  cat "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds"; } > "$TMP/rb$arch.kds"
	start_sim --pipe "$TMP/rb$arch.sock" --arch "$arch" --scenario "$TMP/rb$arch.kds" --check-clean \
		|| not_ok "reboot-$arch: kdsim starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/rb$arch.sock" -c "bp $code+5; .reboot; r $ip; q" \
		< /dev/null > "$TMP/rb$arch.out" 2>&1
	expect "$TMP/rb$arch.out" "Shutdown occurred...unloading all symbol tables." "reboot-$arch: .reboot reboots"
	expect "$TMP/rb$arch.out" "Breakpoint 0 hit" "reboot-$arch: the bp is back in after the reboot and fires"
	expect "$TMP/rb$arch.out" "$ip=$(echo $code | sed 's/0000$/0005/')" "reboot-$arch: stopped at the bp's address"
	sleep 0.2
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep -q "kdsim: memory clean" "$TMP/sim.out" && ok "reboot-$arch: no breakpoint byte left" \
		|| { not_ok "reboot-$arch: no breakpoint byte left"; sed 's/^/  | /' "$TMP/sim.out"; }
}

# Conditions: a logging breakpoint ("r eax; g"), bp /w "cond", and j in
# a command string ('gc' goes on, the other branch stops).
cond_session() { # arch
	arch=$1
	if [ "$arch" = x64 ]; then
		code=fffff80012700000; ip=rip; ax=rax; cx=rcx; dx=rdx; w=16
	else
		code=82900000; ip=eip; ax=eax; cx=ecx; dx=edx; w=8
	fi
	at() { echo $code | sed "s/0000\$/00$1/"; }
	{ echo "event exception 0 80000003 $(at 15) first"
	  cat "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds"; } > "$TMP/cd$arch.kds"
	start_sim --pipe "$TMP/cd$arch.sock" --arch "$arch" --scenario "$TMP/cd$arch.kds" --check-clean \
		|| not_ok "cond-$arch: kdsim starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/cd$arch.sock" \
		-c "bp $code+5 \"r $ax; g\"; bp /w \"@$cx==2\" $code+20; bp $code+25 \"j (@$cx==2) 'r $dx'; 'gc'\"; g; .echo cond1; r $cx; r $ip; g; .echo cond2; r $ip; q" \
		< /dev/null > "$TMP/cd$arch.out" 2>&1
	sed -n '/^cond1/q;p' "$TMP/cd$arch.out" > "$TMP/cd$arch.1"
	grep -qx "Breakpoint 0 hit" "$TMP/cd$arch.1" && grep -qx "$ax=$(printf '%0*x' $w 1)" "$TMP/cd$arch.1" \
		&& [ "$(grep '^Breakpoint' "$TMP/cd$arch.1" | tail -1)" = "Breakpoint 1 hit" ] \
		&& ok "cond-$arch: a logging breakpoint prints and goes on" \
		|| { not_ok "cond-$arch: a logging breakpoint prints and goes on"; sed 's/^/  | /' "$TMP/cd$arch.out" | tail -30; }
	sed -n '/^cond1/,/^cond2/p' "$TMP/cd$arch.out" > "$TMP/cd$arch.2"
	grep -qx "$cx=$(printf '%0*x' $w 2)" "$TMP/cd$arch.2" && grep -qx "$ip=$(at 20)" "$TMP/cd$arch.2" \
		&& ok "cond-$arch: bp /w stops only when the condition holds (the second call)" \
		|| { not_ok "cond-$arch: bp /w stops only when the condition holds (the second call)"; sed 's/^/  | /' "$TMP/cd$arch.out" | tail -30; }
	sed -n '/^cond2/,$p' "$TMP/cd$arch.out" | grep -qx "$ip=$(at 25)" \
		&& grep -qx "$dx=$(printf '%0*x' $w 3)" "$TMP/cd$arch.2" \
		&& ok "cond-$arch: j runs the first branch when true, gc goes on when false" \
		|| { not_ok "cond-$arch: j runs the first branch when true, gc goes on when false"; sed 's/^/  | /' "$TMP/cd$arch.out" | tail -30; }
	sleep 0.2
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep -q "kdsim: memory clean" "$TMP/sim.out" && ok "cond-$arch: no breakpoint byte left" \
		|| { not_ok "cond-$arch: no breakpoint byte left"; sed 's/^/  | /' "$TMP/sim.out"; }
}

# Ctrl-C while the target runs with a breakpoint in its memory: kd breaks
# in and takes the breakpoint out again.
breakin_session() { # arch transport
	arch=$1 transport=$2
	if [ "$arch" = x64 ]; then code=fffff80012700000; else code=82900000; fi
	{ echo "event exception 0 80000003 $(echo $code | sed 's/0000$/0015/') first"
	  grep -v '^event' "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds"; } > "$TMP/bi$arch.kds"
	if [ "$transport" = udp ]; then
		port=$(( 30000 + ($$ + 7) % 20000 ))
		start_sim --udp 127.0.0.1:$port --key 1a.2b.3c.4d --arch "$arch" --scenario "$TMP/bi$arch.kds" \
			--check-clean --dbgprint "kdsim: resumed
" || not_ok "breakin-$arch: kdsim starts"
		conn="net:port=$port,key=1a.2b.3c.4d"
	else
		start_sim --pipe "$TMP/bi$arch.sock" --arch "$arch" --scenario "$TMP/bi$arch.kds" \
			--check-clean --dbgprint "kdsim: resumed
" || not_ok "breakin-$arch: kdsim starts"
		conn="com:pipe,port=$TMP/bi$arch.sock"
	fi
	timeout 60 "$KD" -k "$conn" -c "bp $code+5; g; bl; q" < /dev/null > "$TMP/bi$arch.out" 2>&1 &
	kdpid=$!
	for i in $(seq 1 200); do grep -q "kdsim: resumed" "$TMP/bi$arch.out" && break; sleep 0.05; done
	sleep 0.3
	kill -INT $kdpid
	wait $kdpid
	rc=$?
	[ $rc -eq 0 ] && ok "breakin-$arch-$transport: kd exits 0" || not_ok "breakin-$arch-$transport: kd exits 0 (got $rc)"
	[ "$(grep -c '^Break instruction exception - code 80000003 (first chance)' "$TMP/bi$arch.out")" = 2 ] \
		&& ok "breakin-$arch-$transport: Ctrl-C breaks in while the target runs" \
		|| { not_ok "breakin-$arch-$transport: Ctrl-C breaks in while the target runs"; sed 's/^/  | /' "$TMP/bi$arch.out"; }
	sleep 0.2
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep -q "kdsim: memory clean" "$TMP/sim.out" && ! grep -q "breakpoint byte left" "$TMP/sim.out" \
		&& ok "breakin-$arch-$transport: the breakpoint is out of memory after the break-in and q" \
		|| { not_ok "breakin-$arch-$transport: the breakpoint is out of memory after the break-in and q"; sed 's/^/  | /' "$TMP/sim.out"; }
}

# A breakpoint hit on processor 1: the prompt follows it, and going on
# steps over the breakpoint on that processor (the second call hits again).
mp_session() { # arch
	arch=$1
	if [ "$arch" = x64 ]; then code=fffff80012700000; ip=rip; else code=82900000; ip=eip; fi
	{ echo "event exception 0 80000003 $(echo $code | sed 's/0000$/0015/') first"
	  grep -v '^event' "$KD_SRCDIR/tests/kdsim/scenarios/exec-e2e-$arch.kds"
	  echo "event run 1 $code"
	  echo "event exception 0 80000003 $(echo $code | sed 's/0000$/0015/') first"; } > "$TMP/mp$arch.kds"
	start_sim --pipe "$TMP/mp$arch.sock" --arch "$arch" --scenario "$TMP/mp$arch.kds" --check-clean \
		|| not_ok "mp-$arch: kdsim starts"
	printf 'bp %s+20\ng\ng\ng\nq\n' $code | timeout 60 "$KD" -k "com:pipe,port=$TMP/mp$arch.sock" > "$TMP/mp$arch.out" 2>&1
	[ "$(grep -c '^Breakpoint 0 hit' "$TMP/mp$arch.out")" = 2 ] && [ "$(grep -c '^1: kd> g' "$TMP/mp$arch.out")" = 2 ] \
		&& grep -q "^0: kd> q" "$TMP/mp$arch.out" \
		&& ok "mp-$arch: a bp on processor 1 stops there and is stepped over there" \
		|| { not_ok "mp-$arch: a bp on processor 1 stops there and is stepped over there"; sed 's/^/  | /' "$TMP/mp$arch.out" | tail -20; }
	sleep 0.2
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep -q "kdsim: memory clean" "$TMP/sim.out" && ok "mp-$arch: no breakpoint byte left" \
		|| { not_ok "mp-$arch: no breakpoint byte left"; sed 's/^/  | /' "$TMP/sim.out"; }
}

session pipe-x64 x64 pipe
session pipe-x86 x86 pipe
session net-x64 x64 udp
session net-x86 x86 udp
session log-x64 x64 pipe log
quit_session x64
quit_session x86
events_session x64
events_session x86
reboot_session x64
reboot_session x86
cond_session x64
cond_session x86
mp_session x64
mp_session x86
breakin_session x64 pipe
breakin_session x86 udp
[ $failures -eq 0 ]
