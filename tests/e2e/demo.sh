#!/bin/sh
# kd --demo: kd starts kdsim and attaches; whatever way kd ends — q, or a
# hangup when its terminal closes — no simulator and no socket folder are
# left behind. Waits are on events (a line printed, a process gone), each
# with a deadline.
. "$KD_SRCDIR/tests/e2e/lib.sh"

# wait_for SECONDS COMMAND...: until COMMAND succeeds, or fail after SECONDS.
wait_for() {
	limit=$(( $1 * 20 )); shift
	i=0
	while ! "$@"; do
		i=$((i + 1)); [ $i -ge $limit ] && return 1
		sleep 0.05
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
sim_pid_of() { sed -n 's/^Started kdsim (pid \([0-9]*\)).*/\1/p' "$1"; }
sim_dir_of() { sed -n 's/^Started kdsim .* on \(.*\)\/com1$/\1/p' "$1"; }

# 1. q: the session ends and kd takes kdsim with it.
timeout 60 "$KD" --demo -c "vertarget; q" < /dev/null > "$TMP/q.out" 2>&1
pid=$(sim_pid_of "$TMP/q.out")
[ -n "$pid" ] && grep -q "^Windows 10 Kernel Version" "$TMP/q.out" && ok "demo: kd starts kdsim and attaches" \
	|| { not_ok "demo: kd starts kdsim and attaches"; sed 's/^/  | /' "$TMP/q.out" | head -20; }
[ -n "$pid" ] && wait_for 10 gone "$pid" && ok "demo: q leaves no kdsim running" || not_ok "demo: q leaves no kdsim running"
dir=$(sim_dir_of "$TMP/q.out")
[ -n "$dir" ] && [ ! -e "$dir" ] && ok "demo: q removes the socket folder" || not_ok "demo: q removes the socket folder ($dir)"

# 2. A hangup while kd waits for the next command (the terminal closed).
mkfifo "$TMP/in"
"$KD" --demo < "$TMP/in" > "$TMP/hup.out" 2>&1 &
kdpid=$!
exec 3> "$TMP/in"   # keeps kd's input open: it waits at the prompt
wait_for 30 grep -q "^Started kdsim (pid" "$TMP/hup.out" && wait_for 30 grep -q "kd> $" "$TMP/hup.out" \
	|| wait_for 30 grep -q "^Break instruction exception" "$TMP/hup.out"
pid=$(sim_pid_of "$TMP/hup.out")
dir=$(sim_dir_of "$TMP/hup.out")
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ok "demo: kdsim runs while kd waits" \
	|| { not_ok "demo: kdsim runs while kd waits"; sed 's/^/  | /' "$TMP/hup.out" | head; }
kill -HUP $kdpid
wait $kdpid
rc=$?
exec 3>&-
[ $rc -eq 129 ] && ok "demo: a hangup ends kd" || not_ok "demo: a hangup ends kd (exit $rc)"
[ -n "$pid" ] && wait_for 10 gone "$pid" && ok "demo: a hangup leaves no kdsim running" \
	|| { not_ok "demo: a hangup leaves no kdsim running"; kill "$pid" 2>/dev/null; }
[ -n "$dir" ] && wait_for 10 test ! -e "$dir" && ok "demo: a hangup removes the socket folder" \
	|| not_ok "demo: a hangup removes the socket folder ($dir)"

# 3. kd killed outright: kdsim still ends with its parent.
"$KD" --demo < "$TMP/in" > "$TMP/kill.out" 2>&1 &
kdpid=$!
exec 3> "$TMP/in"
wait_for 30 grep -q "^Started kdsim (pid" "$TMP/kill.out"
pid=$(sim_pid_of "$TMP/kill.out")
kill -KILL $kdpid
wait $kdpid 2>/dev/null
exec 3>&-
[ -n "$pid" ] && wait_for 10 gone "$pid" && ok "demo: kdsim dies with a killed kd" \
	|| { not_ok "demo: kdsim dies with a killed kd"; kill "$pid" 2>/dev/null; }
rm -rf "$(sim_dir_of "$TMP/kill.out")"

[ $failures -eq 0 ]
