#!/bin/sh
# KDCOM through a damaged line: with 1% of bytes corrupted a 64 KiB read
# returns exactly the bytes of a clean read; so does a 16 KiB read with
# bytes dropped and duplicated; with the target gone, kd says so in time.
. "$KD_SRCDIR/tests/e2e/lib.sh"
PROXY="$KD_BUILDDIR/tests/faultproxy"
base=fffff80012600000
ROW='^fffff800`126[0-9a-f]{5}  [0-9a-f?]{2} '

start_sim --pipe "$TMP/com1" --arch x64 || not_ok "kdsim starts"
timeout 60 "$KD" -k "com:pipe,port=$TMP/com1" -b -c "db $base+1000 L10000; q" < /dev/null > "$TMP/clean.out" 2>&1
grep -Ec "$ROW" "$TMP/clean.out" | grep -qx 4096 && ok "clean 64 KiB read" || not_ok "clean 64 KiB read"

run_damaged() { # name length(hex) proxy-options
	name=$1 LEN=$2; shift 2
	"$PROXY" -l "$TMP/proxy.sock" -t "$TMP/com1" "$@" > "$TMP/proxy.out" 2> "$TMP/proxy.err" &
	ppid=$!
	for i in $(seq 1 50); do [ -S "$TMP/proxy.sock" ] && break; sleep 0.05; done
	timeout 300 "$KD" -k "com:pipe,port=$TMP/proxy.sock" -b -c "db $base+1000 L$LEN; q" < /dev/null > "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	kill $ppid 2>/dev/null; wait $ppid 2>/dev/null
	[ $rc -eq 0 ] && ok "$name: kd exits 0" || { not_ok "$name: kd exits 0 (got $rc)"; tail -5 "$TMP/$name.err"; }
	grep -E "$ROW" "$TMP/clean.out" | head -n $((0x$LEN / 16)) > "$TMP/clean.rows"
	grep -E "$ROW" "$TMP/$name.out" > "$TMP/$name.rows"
	if cmp -s "$TMP/clean.rows" "$TMP/$name.rows"; then
		ok "$name: a read of 0x$LEN bytes returns the right bytes"
	else
		not_ok "$name: a read of 0x$LEN bytes returns the right bytes"
		diff "$TMP/clean.rows" "$TMP/$name.rows" | head -5
	fi
	cat "$TMP/proxy.err"
}
run_damaged corrupt1pct 10000 -c 0.01 -s 7
run_damaged dropdup 4000 -d 0.002 -u 0.002 -s 11

# The target goes away while kd is attached: the next command says why,
# within ten seconds, and kd exits instead of hanging.
( sleep 2; echo "dd $base L4"; sleep 30 ) | timeout 60 "$KD" -k "com:pipe,port=$TMP/com1" -b > "$TMP/gone.out" 2>&1 &
kdpid=$!
sleep 1
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
start=$(date +%s)
wait $kdpid
end=$(date +%s)
if grep -q "Lost the connection\|does not answer" "$TMP/gone.out"; then ok "target gone: kd says why"; else not_ok "target gone: kd says why"; cat "$TMP/gone.out"; fi
[ $((end - start)) -le 40 ] && ok "target gone: kd does not hang" || not_ok "target gone: kd does not hang ($((end - start)) s)"
[ $failures -eq 0 ]
