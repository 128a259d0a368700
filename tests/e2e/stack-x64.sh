#!/bin/sh
# x64 stack traces end to end. kdsim maps the real MSVC images of
# ../shared/data/pe/x64 at their bases and lays out call chains through
# them with the frames their unwind data describes (chain64, which reads
# the unwind data itself and prints the frames it built); kd, attached
# with -y on the images' folder, must list exactly those frames with k and
# kv (Child-SP, RetAddr, arguments, Call Site named as llvm-symbolizer-14
# names the function), restore each frame's nonvolatile registers
# (.frame /r), read the unwind data from the image file when the target
# lacks an image's pages, walk through a machine frame, follow a frame
# stopped in an epilogue or a partial prolog while kd steps through it,
# and mark frames found by scanning the stack when an image is missing. Then the real triage dump: after .cxr the walk
# starts at the context's rip, says which images it lacks and that the
# frames below come from a scan, and stays inside the saved stack.
. "$KD_SRCDIR/tests/e2e/lib.sh"

X64="$KD_DATA/pe/x64"
if [ ! -r "$X64/xframe_eh_exe.exe" ]; then
	echo "# skipped: $X64 is absent"
	exit 77
fi
SYMBOLIZER=$(command -v llvm-symbolizer-14 || true)

run_kd() { # scenario commands output
	rm -f "$TMP/pipe"
	start_sim --pipe "$TMP/pipe" --arch x64 --cpus 1 --scenario "$1" || not_ok "kdsim loads $1"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/pipe" -y "$X64" -b -c "$2" < /dev/null 2> "$3.err" \
		| sed -n '/^0: kd> /,$p' | sed 1d | sed 's/ *$//' > "$3"
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
	grep '^kdsim: chain64 frame' "$TMP/sim.out" > "$3.frames"
	grep '^kdsim: chain64 regs' "$TMP/sim.out" > "$3.regs"
}

header() {
	cat <<EOF
module xframe_eh_exe 140000000 9000 \\SystemRoot\\xframe_eh_exe.exe
module xframe_eh_dll 180000000 8000 \\SystemRoot\\xframe_eh_dll.dll
module nosym fffff80030000000 10000 \\SystemRoot\\system32\\drivers\\nosym.sys
image $X64/xframe_eh_exe.exe 140000000
image $X64/xframe_eh_dll.dll 180000000
# the current thread's StackLimit and StackBase (build 19041 KTHREAD)
u64 fffff80012f00030 fffff80019ff0000 fffff8001a000000
EOF
}

# "fffff80019ff8000" -> "fffff800`19ff8000"
tick() { echo "$1" | sed 's/^\(........\)/\1`/'; }

# A 64-bit hex value plus a small signed delta (sh arithmetic is signed
# 64-bit: only the low half is computed, the tests never carry out of it).
addhex() { # value delta
	printf '%s%08x\n' "${1%????????}" $((0x${1#????????} + $2))
}

# The Call Site of ip in a frame whose function starts at fn_start
# ("-" for code without symbols: module+offset).
site() { # ip fn_start
	case $1 in
	fffff80030*) printf 'nosym+0x%x\n' $((0x${1#????????} - 0x30000000)); return ;;
	fffff80050*) printf 'trapdrv+0x%x\n' $((0x${1#????????} - 0x50000000)); return ;;
	esac
	ip=$((0x$1))
	if [ $ip -ge $((0x140000000)) ] && [ $ip -lt $((0x140009000)) ]; then
		mod=xframe_eh_exe obj="$X64/xframe_eh_exe.exe" base=$((0x140000000))
	elif [ $ip -ge $((0x180000000)) ] && [ $ip -lt $((0x180008000)) ]; then
		mod=xframe_eh_dll obj="$X64/xframe_eh_dll.dll" base=$((0x180000000))
	else
		printf 'nosym+0x%x\n' $((ip - 0xfffff80030000000))
		return
	fi
	if [ "$2" = - ] || [ -z "$SYMBOLIZER" ]; then
		echo "$mod!?"
		return
	fi
	fn=$("$SYMBOLIZER" --no-inlines --obj="$obj" "0x$1" | head -1)
	printf '%s!%s+0x%x\n' "$mod" "$fn" $((ip - 0x$2))
}

# Expected k / kv listings from kdsim's frames; $2: the function starts,
# one per frame ("-" unknown).
expected() { # frames starts kfile kvfile
	echo "Child-SP          RetAddr           Call Site" > "$3"
	echo "Child-SP          RetAddr           : Args to Child                                                           : Call Site" > "$4"
	set -- "$1" "$2" "$3" "$4"
	i=1
	while read -r _ _ _ n sp ret ip a1 a2 a3 a4; do
		start=$(echo "$2" | cut -d' ' -f$i)
		s=$(site "$ip" "$start")
		echo "$(tick $sp) $(tick $ret) $s" >> "$3"
		echo "$(tick $sp) $(tick $ret) : $(tick $a1) $(tick $a2) $(tick $a3) $(tick $a4) : $s" >> "$4"
		i=$((i + 1))
	done < "$1"
}

# Compare, without the Call Site's function names when llvm-symbolizer
# is absent (module, Child-SP and RetAddr still count).
same() { # expected got description
	if [ -z "$SYMBOLIZER" ]; then
		sed 's/![^ ]*$//' "$1" > "$1.cut"; sed 's/![^ ]*$//' "$2" > "$2.cut"
		set -- "$1.cut" "$2.cut" "$3 (function names not checked: no llvm-symbolizer-14)"
	fi
	if cmp -s "$1" "$2"; then ok "$3"; else not_ok "$3"; diff "$1" "$2" | head -30; fi
}

# --- a chain of seven functions through both images: pushes, allocations,
# saves (near and through the large form), a __chkstk-sized frame
header > "$TMP/chain.kds"
SPEC="1400018c4 180001230 140001f48 1800013cc 140001b5c 140001898 140001000"
echo "chain64 0 fffff80019ff8000 $SPEC" >> "$TMP/chain.kds"
run_kd "$TMP/chain.kds" "k; kv; .frame /r 1; .frame /r 2; .frame /r 3; .frame /r 4; .frame /r 5; .frame /r 6; q" "$TMP/chain.out"
[ "$(wc -l < "$TMP/chain.out.frames")" -eq 7 ] && ok "kdsim built the 7-frame chain" \
	|| { not_ok "kdsim built the 7-frame chain"; cat "$TMP/sim.out"; }
expected "$TMP/chain.out.frames" "$SPEC" "$TMP/k.exp" "$TMP/kv.exp"
sed -n 1,8p "$TMP/chain.out" > "$TMP/k.got"
sed -n 9,16p "$TMP/chain.out" > "$TMP/kv.got"
same "$TMP/k.exp" "$TMP/k.got" "k lists exactly the constructed frames (Child-SP, RetAddr, Call Site)"
same "$TMP/kv.exp" "$TMP/kv.got" "kv shows the home slots as Args to Child"
# .frame /r N: the nonvolatile registers kdsim gave frame N
bad=0
for n in 1 2 3 4 5 6; do
	set -- $(sed -n "$((n + 1))p" "$TMP/chain.out.regs")
	want="rbx=$5 rbp=$6 rsi=$7 rdi=$8 r12=$9 r13=${10} r14=${11} r15=${12}"
	set -- $(sed -n "$((n + 1))p" "$TMP/chain.out.frames")
	want="$want rsp=$5 rip=$7"
	got=$(awk -v n=$n '/^0[0-9] /{cur=$1+0} cur==n && /=/' "$TMP/chain.out" | tr ' ' '\n' | grep -E '^(rbx|rbp|rsi|rdi|r12|r13|r14|r15|rsp|rip)=' \
		| sort -t= -k1,1 -u | tr '\n' ' ')
	for r in $want; do
		case " $got " in *" $r "*) ;; *) bad=1; echo "  frame $n: want $r, got: $got" ;; esac
	done
done
[ $bad -eq 0 ] && ok ".frame /r restores every frame's nonvolatile registers, rsp and rip" \
	|| not_ok ".frame /r restores every frame's nonvolatile registers, rsp and rip"

# --- the same chain with xframe_eh_exe's pages gone from the target (as in
# a dump): kd reads its unwind data from the image file on the -y path
cp "$TMP/chain.kds" "$TMP/file.kds"
echo "chain64 unmap 140000000 9000" >> "$TMP/file.kds"
run_kd "$TMP/file.kds" "k; db 140000000 L10; q" "$TMP/file.out"
grep -q '^00000001`40000000  ?? ?? ' "$TMP/file.out" && ok "the target lacks xframe_eh_exe's pages" \
	|| { not_ok "the target lacks xframe_eh_exe's pages"; cat "$TMP/file.out"; }
sed -n 1,8p "$TMP/file.out" > "$TMP/file.got"
same "$TMP/k.exp" "$TMP/file.got" "k takes the unwind data from the image file when the target lacks the pages"

# --- frame 0 in an epilogue: LoadXframeDll ends `add rsp,20h; pop rbx;
# rex.w jmp rax`; kd steps through it and must follow the frame each time
header > "$TMP/epi.kds"
SPEC="140001000 140001b5c 1800013cc"
echo "chain64 0 fffff80019ff8000 140001000+de 140001b5c 1800013cc" >> "$TMP/epi.kds"
run_kd "$TMP/epi.kds" "k; t; k; t; k; q" "$TMP/epi.out"
expected "$TMP/epi.out.frames" "$SPEC" "$TMP/epi.exp" "$TMP/epi.kv"
grep -A3 '^Child-SP' "$TMP/epi.out" | grep -v '^--' > "$TMP/epi.got"
sp0=$(head -1 "$TMP/epi.out.frames" | cut -d' ' -f5)
for step in 0 1 2; do
	case $step in
	0) d=0 off=de ;;
	1) d=32 off=e2 ;;
	2) d=40 off=e3 ;;
	esac
	sp=$(addhex "$sp0" $d)
	sed -n 1p "$TMP/epi.exp"
	sed -n 2p "$TMP/epi.exp" | sed "s/^[^ ]*/$(tick $sp)/; s/+0x[0-9a-f]*\$/+0x$off/"
	sed -n '3,4p' "$TMP/epi.exp"
done > "$TMP/epi3.exp"
same "$TMP/epi3.exp" "$TMP/epi.got" "k inside an epilogue (at add rsp, pop rbx and the rex.w jmp) finds the same callers"

# --- frame 0 in a partial prolog: capture_previous_context pushes rbx,
# rsi, rdi and allocates 40h; stopped after two pushes, kd steps on
header > "$TMP/pro.kds"
SPEC="140001b5c 1800013cc"
echo "chain64 0 fffff80019ff8000 140001b5c+3 1800013cc" >> "$TMP/pro.kds"
run_kd "$TMP/pro.kds" "k; t; k; t; k; t; k; q" "$TMP/pro.out"
expected "$TMP/pro.out.frames" "$SPEC" "$TMP/pro.exp" "$TMP/pro.kv"
grep -A2 '^Child-SP' "$TMP/pro.out" | grep -v '^--' > "$TMP/pro.got"
sp0=$(head -1 "$TMP/pro.out.frames" | cut -d' ' -f5)
for step in 0 1 2 3; do
	case $step in
	0) d=0 off=3 ;;
	1) d=8 off=4 ;;
	2) d=$((8 + 0x40)) off=8 ;;
	3) d=$((8 + 0x40)) off=b ;;
	esac
	sp=$(addhex "$sp0" $((-d)))
	sed -n 1p "$TMP/pro.exp"
	sed -n 2p "$TMP/pro.exp" | sed "s/^[^ ]*/$(tick $sp)/; s/+0x[0-9a-f]*\$/+0x$off/"
	sed -n 3p "$TMP/pro.exp"
done > "$TMP/pro4.exp"
same "$TMP/pro4.exp" "$TMP/pro.got" "k in a partial prolog applies only the codes of instructions that ran"

# --- no unwind data: frame 0 in nosym.sys, whose image is neither in
# memory nor on the image path; a leaf without a RUNTIME_FUNCTION further up
header > "$TMP/scan.kds"
SPEC="- 140001000 - 180001230"
echo "chain64 0 fffff80019ff8000 leaf,fffff80030001234 140001000 leaf,1400010f0 180001230" >> "$TMP/scan.kds"
run_kd "$TMP/scan.kds" "k; q" "$TMP/scan.out"
expected "$TMP/scan.out.frames" "$SPEC" "$TMP/scan.exp" "$TMP/scan.kv"
# (the leaf's Call Site is whatever symbol precedes it: not compared)
grep -v '^WARNING\|^NOTE' "$TMP/scan.out" | sed -n 1,5p | sed '4s/ [^ ]*$/ leaf/' > "$TMP/scan.got"
sed '4s/ [^ ]*$/ leaf/' "$TMP/scan.exp" > "$TMP/scan.exp2"
same "$TMP/scan.exp2" "$TMP/scan.got" "frames found by scanning past an image without unwind data, and a leaf, are the constructed ones"
grep -q '^NOTE: .*nosym\.sys.*heuristic scan' "$TMP/scan.out" && ok "k names the image it lacks and says the frames below come from a scan" \
	|| { not_ok "k names the image it lacks and says the frames below come from a scan"; cat "$TMP/scan.out"; }
[ "$(sed -n 2p "$TMP/scan.out" | cut -c1-8)" = WARNING: ] && ok "the warning comes before the first frame" \
	|| not_ok "the warning comes before the first frame"

# --- through an interrupt: trapdrv.sys (a hand-made image in memory,
# without symbols) has a handler whose unwind data starts with
# UWOP_PUSH_MACHFRAME (with an error code); it interrupted a function of
# its own called from the real images
header > "$TMP/trap.kds"
T=fffff800500
cat >> "$TMP/trap.kds" <<EOF
module trapdrv fffff80050000000 3000 \\SystemRoot\\system32\\drivers\\trapdrv.sys
bytes ${T}00000 4d 5a
u32 ${T}0003c 80
bytes ${T}00080 50 45 00 00 64 86
bytes ${T}00098 0b 02
u32 ${T}000d0 3000
u32 ${T}00104 10
u32 ${T}00120 1000 18
# .pdata: the handler, then the interrupted function
u32 ${T}01000 2000 2040 1800 2100 2140 1810
# PUSH_MACHFRAME (error code) @1, push rbp @5, sub rsp,20h @9
bytes ${T}01800 01 09 03 00 09 32 05 50 01 1a 00 00
# push rbx @1, sub rsp,20h @5
bytes ${T}01810 01 05 02 00 05 32 01 30
bytes ${T}02000 6a 00 55 48 83 ec 20 90 90 90 90 90 90 90 90 90
bytes ${T}02100 53 48 83 ec 20 90 90 e8 00 00 00 00 90 48 83 c4 20 5b c3
EOF
echo "chain64 0 fffff80019ff8000 fffff80050002000 fffff80050002100 140001b5c 1800013cc" >> "$TMP/trap.kds"
run_kd "$TMP/trap.kds" "k; kv; .frame /r 1; q" "$TMP/trap.out"
expected "$TMP/trap.out.frames" "- - 140001b5c 1800013cc" "$TMP/trap.k" "$TMP/trap.kv"
trap=$(grep '^kdsim: chain64 trap 0 ' "$TMP/sim.out" | cut -d' ' -f5)
[ -n "$trap" ] && ok "kdsim built a machine frame" || not_ok "kdsim built a machine frame"
sed "2s/\$/ (TrapFrame @ $(tick "$trap"))/" "$TMP/trap.kv" | cat "$TMP/trap.k" - > "$TMP/trap.exp"
sed -n 1,10p "$TMP/trap.out" > "$TMP/trap.got"
same "$TMP/trap.exp" "$TMP/trap.got" "k and kv walk through the machine frame; kv shows TrapFrame @ the KTRAP_FRAME"
set -- $(sed -n 2p "$TMP/trap.out.regs")
rbp=$6
set -- $(sed -n 2p "$TMP/trap.out.frames")
grep -q "^rip=$7 rsp=$5 rbp=$rbp\$" "$TMP/trap.out" \
	&& ok ".frame /r 1: the interrupted code's rip and rsp from the machine frame, rbp from the handler's push" \
	|| { not_ok ".frame /r 1: the interrupted code's rip and rsp from the machine frame, rbp from the handler's push"; cat "$TMP/trap.out"; }

# --- the triage dump: .cxr, then k
DUMP="$KD_DATA/dumps/triage_x64.dmp"
if [ -r "$DUMP" ]; then
	timeout 120 "$KD" -z "$DUMP" -y "$X64" -c ".cxr ffff850429891720; k; q" < /dev/null 2> "$TMP/triage.err" \
		| sed -n '/^0: kd> /,$p' | sed 's/ *$//' > "$TMP/triage.out"
	sed -n '/^Child-SP/,$p' "$TMP/triage.out" | grep '^[0-9a-f]\{8\}`' > "$TMP/triage.frames"
	first=$(head -1 "$TMP/triage.frames")
	case "$first" in
	"ffff8504\`29892120 "*" amdppm+0x334c") ok "triage: k starts at the context's rip (amdppm+0x334c, rsp ffff8504\`29892120)" ;;
	*) not_ok "triage: k starts at the context's rip"; head -20 "$TMP/triage.out" ;;
	esac
	grep -q '^NOTE: No unwind data for amdppm\.sys.*ntoskrnl\.exe.*heuristic scan' "$TMP/triage.out" \
		&& ok "triage: k says which images it lacks (amdppm.sys, ntoskrnl.exe) and that the frames come from a scan" \
		|| { not_ok "triage: k says which images it lacks and that the frames come from a scan"; head -20 "$TMP/triage.out"; }
	[ "$(wc -l < "$TMP/triage.frames")" -gt 3 ] && ok "triage: the scan goes on past the first frame" \
		|| not_ok "triage: the scan goes on past the first frame"
	# The saved stack, from the dump's TRIAGE_DUMP64 header (at 0x2000):
	# TopOfStack at +0x48, SizeOfCallStack at +0x2c.
	top=$(od -An -tx8 -j $((0x2048)) -N8 "$DUMP" | tr -d ' ')
	size=$(od -An -tu4 -j $((0x202c)) -N4 "$DUMP" | tr -d ' ')
	outside=$(sed 's/`//' "$TMP/triage.frames" | awk -v lo="$top" -v size="$size" '
		function hex(s,  i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		{ sp = hex(substr($1, 5)); low = hex(substr(lo, 5)); if (substr($1, 1, 4) != substr(lo, 1, 4) || sp < low || sp >= low + size) print }')
	[ -z "$outside" ] && ok "triage: every frame lies in the saved stack ($top + $size)" \
		|| { not_ok "triage: every frame lies in the saved stack"; echo "$outside" | head; }
else
	echo "# skipped the triage dump: $DUMP is absent"
fi

[ $failures -eq 0 ]
