#!/bin/sh
# kd against kdsim over each transport: attach with -b, read the version,
# memory, registers' processor switch, edit memory, and detach with q.
. "$KD_SRCDIR/tests/e2e/lib.sh"

session() { # name connection arch
	name=$1 conn=$2 arch=$3
	if [ "$arch" = x64 ]; then
		base=fffff80012600000; kb='fffff800`12600000'; addr4e='fffff800`1260004e'
		first='fffff800`12600000  00005a4d 00000000 00000000 00000000'
		sp='fffff800`19ff9f00'; ret='fffff800`12603456'
		stack=fffff80019ff9f00; mach=x64
	else
		base=82800000; kb='82800000'; addr4e='8280004e'
		first='82800000  00005a4d 00000000 00000000 00000000'
		sp='89ff9f00'; ret='82803456'
		stack=89ff9f00; mach=x86
	fi
	timeout 60 "$KD" -k "$conn" -b -c "vertarget; dd $base L8; dps $stack L1; ~1s; dps @\$csp L1; da ${base}+4e; eb ${base}+2000 11 22 33; db ${base}+2000 L3; dd 0 L4; q" \
		< /dev/null > "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	[ $rc -eq 0 ] && ok "$name: kd exits 0" || { not_ok "$name: kd exits 0 (got $rc)"; cat "$TMP/$name.err"; }
	expect "$TMP/$name.out" "Windows 10 Kernel Version 19041 MP (2 procs) Free $mach" "$name: vertarget build, processors, machine"
	expect "$TMP/$name.out" "Kernel base = 0x$kb PsLoadedModuleList = 0x$(echo "$kb" | sed 's/12600000/12e0a2b0/; s/82800000/8300a2b0/')" "$name: kernel base and PsLoadedModuleList"
	expect "$TMP/$name.out" "$first" "$name: dd of the kernel base shows the MZ header"
	expect "$TMP/$name.out" "$sp  $ret nt+0x3456" "$name: dps symbolizes the return address with the module from load-symbols"
	expect "$TMP/$name.out" "$addr4e  \"This program cannot be run in DO\"" "$name: da reads the string"
	n=$(grep -cxF "$sp  $ret nt+0x3456" "$TMP/$name.out")
	[ "$n" = 2 ] && ok "$name: ~1s switches to processor 1 (its stack pointer)" || not_ok "$name: ~1s switches to processor 1 (got $n)"
	expect "$TMP/$name.out" "$(echo "$kb" | sed 's/12600000$/12602000/; s/^82800000$/82802000/')  11 22 33                                         .\"3" "$name: eb wrote bytes that db reads back"
	if [ "$mach" = x64 ]; then unread='00000000`00000000  ???????? ???????? ???????? ????????'; else unread='00000000  ???????? ???????? ???????? ????????'; fi
	expect "$TMP/$name.out" "$unread" "$name: unreadable memory shows question marks"
}

# unix socket, x64
start_sim --pipe "$TMP/com1" --arch x64 || not_ok "kdsim starts"
session pipe "com:pipe,port=$TMP/com1" x64
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=

# TCP, x86
port=$(( 20000 + $$ % 20000 ))
start_sim --tcp $port --arch x86 || not_ok "kdsim starts on TCP"
session tcp "com:ipport=$port,port=127.0.0.1" x86
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=

# pty as a serial line, x64
start_sim --pty --arch x64 || not_ok "kdsim starts on a pty"
pty=$(sed -n 's/^kdsim: pty //p' "$TMP/sim.out")
session pty "com:port=$pty,baud=115200" x64

[ $failures -eq 0 ]
