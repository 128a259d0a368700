#!/bin/sh
# The target goes away while kd waits at its prompt: the next commands say
# so and show nothing of the lost machine (no cached registers, memory or
# stack). Waits are on events (a line printed, a process gone), each with
# a deadline.
. "$KD_SRCDIR/tests/e2e/lib.sh"

wait_for() { # SECONDS COMMAND...
	limit=$(( $1 * 20 )); shift
	i=0
	while ! "$@"; do
		i=$((i + 1)); [ $i -ge $limit ] && return 1
		sleep 0.05
	done
}
printed() { grep -q "$1" "$TMP/kd.out"; }

base=fffff80012600000
start_sim --pipe "$TMP/com1" --arch x64 || not_ok "kdsim starts"
mkfifo "$TMP/in"
timeout 120 "$KD" -k "com:pipe,port=$TMP/com1" -b < "$TMP/in" > "$TMP/kd.out" 2>&1 &
kdpid=$!
exec 3> "$TMP/in"
echo "r rip; dq $base L2; k; .echo attached-and-read" >&3
wait_for 30 printed '^attached-and-read' || { not_ok "kd attaches and reads"; sed 's/^/  | /' "$TMP/kd.out"; }
grep -q "^rip=" "$TMP/kd.out" && grep -q "^fffff800\`12600000 " "$TMP/kd.out" && ok "attached: registers and memory are read" \
	|| not_ok "attached: registers and memory are read"
before=$(grep -c "^rip=" "$TMP/kd.out")
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
echo "r rip; dq $base L2; k" >&3
echo "q" >&3
exec 3>&-
wait_for 60 sh -c "! kill -0 $kdpid 2>/dev/null"
wait $kdpid 2>/dev/null
grep -q "Lost the connection" "$TMP/kd.out" && ok "lost: kd says the connection is lost" \
	|| { not_ok "lost: kd says the connection is lost"; sed 's/^/  | /' "$TMP/kd.out"; }
[ "$(grep -c '^rip=' "$TMP/kd.out")" = "$before" ] && ok "lost: r shows no cached registers" \
	|| { not_ok "lost: r shows no cached registers"; sed 's/^/  | /' "$TMP/kd.out"; }
[ "$(grep -c "^fffff800\`12600000 " "$TMP/kd.out")" = 1 ] && ok "lost: dq shows no cached memory" \
	|| { not_ok "lost: dq shows no cached memory"; sed 's/^/  | /' "$TMP/kd.out"; }
tail -n +$(grep -n 'Lost the connection' "$TMP/kd.out" | head -1 | cut -d: -f1) "$TMP/kd.out" | grep -q "no target attached" \
	&& ok "lost: the commands say why they cannot answer" || { not_ok "lost: the commands say why they cannot answer"; sed 's/^/  | /' "$TMP/kd.out"; }
[ $failures -eq 0 ]
