# Shared helpers of the transcript tests: start kdsim, run the real kd
# against it, compare what kd printed with what the simulated machine holds.
KD="$KD_BUILDDIR/kd/kd"
KDSIM="$KD_BUILDDIR/tests/kdsim/kdsim"
TMP=$(mktemp -d /tmp/kd-e2e.XXXXXX)
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT; [ -n "$KEEP_TMP" ] && trap - EXIT
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
# expect FILE PATTERN DESCRIPTION: a line of kd's output matches exactly
expect() {
	if grep -qxF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; echo "  expected line: $2"; sed 's/^/  | /' "$1" | head -40; fi
}
start_sim() {
	"$KDSIM" --quiet "$@" > "$TMP/sim.out" 2>&1 &
	SIM_PID=$!
	for i in $(seq 1 100); do
		grep -q "kdsim:" "$TMP/sim.out" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
