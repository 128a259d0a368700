#!/bin/sh
# KDNET end to end: the capture decoder on the real capture, kd against
# kdsim over KDNET on loopback (attach, break in, read, continue; a wrong
# key is reported), and kdsim replaying the real session. Parts whose
# command-line options are not wired yet are skipped.
. "$KD_SRCDIR/tests/e2e/lib.sh"

CAP="$KD_DATA/kdnet/windbg-uncut.pcapng.gz"
ran=0
kdhelp=$("$KD" --help 2>&1)
simhelp=$("$KDSIM" --help 2>&1)

# 1. the decoder
if echo "$kdhelp" | grep -q -- --decode-pcap && [ -r "$CAP" ]; then
	ran=1
	"$KD" --decode-pcap "$CAP" --key 8.8.8.8 > "$TMP/decode.out" 2> "$TMP/decode.err"
	[ $? -eq 0 ] && ok "decode: exits 0" || not_ok "decode: exits 0"
	n=$(grep -c 'target>host\|host>target' "$TMP/decode.out")
	[ "$n" = 955 ] && ok "decode: 955 datagram lines" || not_ok "decode: 955 datagram lines (got $n)"
	grep -q '^955 KDNET datagrams: 955 authenticated, 0 rejected' "$TMP/decode.out" \
		&& ok "decode: all authenticated" || not_ok "decode: all authenticated"
	grep -q 'DbgKdGetVersionApi .*build=10586 .*machine=0x8664' "$TMP/decode.out" \
		&& ok "decode: GetVersion reply fields" || not_ok "decode: GetVersion reply fields"
	grep -q 'DbgKdLoadSymbolsStateChange .*path="winload.efi"' "$TMP/decode.out" \
		&& ok "decode: load-symbols module path" || not_ok "decode: load-symbols module path"
	"$KD" --decode-pcap "$CAP" --key 8.8.8.9 > "$TMP/decode2.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q 'REJECTED' "$TMP/decode2.out" && ok "decode: a wrong key fails with rejected lines" \
		|| not_ok "decode: a wrong key fails with rejected lines (rc $rc)"
else
	echo "# decode part skipped: kd --decode-pcap not available or no capture"
fi

# 2. kd against kdsim over KDNET
if echo "$simhelp" | grep -q -- --udp && echo "$kdhelp" | grep -q 'net:'; then
	ran=1
	port=$(( 30000 + $$ % 20000 ))
	start_sim --udp 127.0.0.1:$port --key 1a.2b.3c.4d --arch x64 --dbgprint "kdsim: resumed
" || not_ok "kdsim --udp starts"
	# g lets the target run; it prints on resuming; Ctrl-C breaks in again.
	timeout 60 "$KD" -k "net:port=$port,key=1a.2b.3c.4d" -b \
		-c "vertarget; dd fffff80012600000 L4; g; q" < /dev/null > "$TMP/net.out" 2> "$TMP/net.err" &
	kdpid=$!
	for i in $(seq 1 200); do grep -q "kdsim: resumed" "$TMP/net.out" && break; sleep 0.1; done
	kill -INT $kdpid
	wait $kdpid
	rc=$?
	grep -q "kdsim: resumed" "$TMP/net.out" && ok "net: g lets the target run" || not_ok "net: g lets the target run"
	[ $(grep -c "^Break instruction exception" "$TMP/net.out") -eq 2 ] && ok "net: Ctrl-C breaks in while running" \
		|| not_ok "net: Ctrl-C breaks in while running"
	[ $rc -eq 0 ] && ok "net: kd exits 0" || { not_ok "net: kd exits 0 (got $rc)"; cat "$TMP/net.err"; }
	expect "$TMP/net.out" "Windows 10 Kernel Version 19041 MP (2 procs) Free x64" "net: vertarget over KDNET"
	expect "$TMP/net.out" 'fffff800`12600000  00005a4d 00000000 00000000 00000000' "net: dd reads memory over KDNET"
	timeout 15 "$KD" -k "net:port=$port,key=1a.2b.3c.4e" -b -c "q" < /dev/null > "$TMP/wrong.out" 2>&1
	grep -q 'fail authentication' "$TMP/wrong.out" && ok "net: a wrong key is reported" \
		|| { not_ok "net: a wrong key is reported"; sed 's/^/  | /' "$TMP/wrong.out" | head; }
	# The key is never shown back; a key in the command line or in a file
	# others can read draws one warning.
	grep -q '1a.2b.3c.4d' "$TMP/net.out" && not_ok "net: the key is not echoed" || ok "net: the key is not echoed"
	grep -q '^Opened net:port=[0-9]*,key=\*\.\*\.\*\.\*$' "$TMP/net.out" && ok "net: the Opened line masks the key" \
		|| { not_ok "net: the Opened line masks the key"; head -3 "$TMP/net.out"; }
	grep -q 'warning: a KDNET key on the command line' "$TMP/net.err" && ok "net: a key on the command line draws a warning" \
		|| not_ok "net: a key on the command line draws a warning"
	printf '1a.2b.3c.4d\n' > "$TMP/net.key"
	chmod 644 "$TMP/net.key"
	timeout 30 "$KD" -k "net:port=$port,key=file:$TMP/net.key" -b -c "q" < /dev/null > "$TMP/keyfile.out" 2> "$TMP/keyfile.err"
	grep -q "warning: the KDNET key file $TMP/net.key can be read by other users" "$TMP/keyfile.err" \
		&& ok "net: a key file others can read draws a warning" || { not_ok "net: a key file others can read draws a warning"; cat "$TMP/keyfile.err"; }
	chmod 600 "$TMP/net.key"
	timeout 30 "$KD" -k "net:port=$port,key=file:$TMP/net.key" -b -c "vertarget; q" < /dev/null > "$TMP/keyfile.out" 2> "$TMP/keyfile.err"
	! grep -q warning "$TMP/keyfile.err" && grep -q "^Windows 10 Kernel Version" "$TMP/keyfile.out" \
		&& ok "net: a private key file attaches without a warning" || { not_ok "net: a private key file attaches without a warning"; cat "$TMP/keyfile.err"; }
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
else
	echo "# net part skipped: kdsim --udp or kd -k net: not wired"
fi

# 3. replay of the real session (over a unix socket)
if echo "$simhelp" | grep -q -- --replay && [ -r "$CAP" ]; then
	ran=1
	start_sim --replay "$CAP" --key 8.8.8.8 --pipe "$TMP/replay" || not_ok "kdsim --replay starts"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/replay" -b -c "vertarget; dq ad5e60 L2; q" \
		< /dev/null > "$TMP/replay.out" 2> "$TMP/replay.err"
	grep -q 'Kernel Version 10586' "$TMP/replay.out" && ok "replay: vertarget shows the real build" \
		|| { not_ok "replay: vertarget shows the real build"; sed 's/^/  | /' "$TMP/replay.out" | head; }
	grep -q 'Kernel base = 0x00000000`0096f000 PsLoadedModuleList = 0x00000000`00ad5e60' "$TMP/replay.out" \
		&& ok "replay: real kernel base and PsLoadedModuleList" || not_ok "replay: real kernel base and PsLoadedModuleList"
	# the 16 bytes the real target returned at ad5e60 (decrypted from the capture)
	expect "$TMP/replay.out" '00000000`00ad5e60  fffff801`7bc49e30 fffff801`7bc58650' "replay: dq shows the recorded bytes"
	kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
else
	echo "# replay part skipped: kdsim --replay not wired or no capture"
fi

if [ $ran -eq 0 ]; then
	echo "KDNET options are not wired into kd/kdsim yet"
	exit 77
fi
[ $failures -eq 0 ]
