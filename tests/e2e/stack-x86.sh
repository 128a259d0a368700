#!/bin/sh
# x86 stack traces end to end: kdsim maps the real MSVC images of
# ../shared/data/pe/x86 and lays out a call chain through them with the
# frames their PDBs' FrameData records describe (chain86, which prints the
# frames it built); kd, attached with -y on the images' folder, must list
# exactly those frames with k, kb/kv (arguments as the stack holds them)
# and kn, name each frame as llvm-symbolizer-14 does, and warn before the
# frame of the image without symbols. Then the seeds: .cxr/.trap followed
# by kv start with the override line, and the reconstruction of seed 001's
# processor #3 with k= (tests/kdsim/scenarios/stack-k-eq.kds).
. "$KD_SRCDIR/tests/e2e/lib.sh"

X86="$KD_DATA/pe/x86"
if [ ! -r "$X86/xframe_eh_exe.pdb" ]; then
	echo "# skipped: $X86 is absent"
	exit 77
fi

run_kd() { # scenario commands output
	rm -f "$TMP/pipe"
	start_sim --pipe "$TMP/pipe" --arch x86 --cpus 1 --scenario "$1" || not_ok "kdsim loads $1"
	timeout 60 "$KD" -k "com:pipe,port=$TMP/pipe" -y "$X86" -b -c "$2" < /dev/null 2> "$3.err" \
		| sed -n '/^0: kd> /,$p' | sed 1d | sed 's/ *$//' > "$3"
	kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
}

# --- a chain through both images, an image without symbols in the middle
E="$X86/xframe_eh_exe.pdb" D="$X86/xframe_eh_dll.pdb"
cat > "$TMP/chain.kds" <<EOF
module xframe_eh_exe 400000 8000 \\SystemRoot\\xframe_eh_exe.exe
module xframe_eh_dll 10000000 8000 \\SystemRoot\\xframe_eh_dll.dll
module nosym 20000000 1000 \\SystemRoot\\nosym.sys
image $X86/xframe_eh_exe.exe 400000
image $X86/xframe_eh_dll.dll 10000000
chain86 0 82b30000 $E,400000,1000 $E,400000,1880 $D,10000000,18be $E,400000,1150 ebp,20000100 $D,10000000,143f $E,400000,1df6 $E,400000,1320
EOF
run_kd "$TMP/chain.kds" "k; kb; kn; kv 3; k 2; q" "$TMP/chain.out"
grep '^kdsim: chain86 frame' "$TMP/sim.out" > "$TMP/frames"
[ "$(wc -l < "$TMP/frames")" -eq 8 ] && ok "kdsim built the 8-frame chain" || { not_ok "kdsim built the 8-frame chain"; cat "$TMP/sim.out"; }

# The expected listings, from kdsim's frames and llvm-symbolizer's names.
: > "$TMP/k.exp"; : > "$TMP/kb.exp"; : > "$TMP/kn.exp"
echo "ChildEBP RetAddr" >> "$TMP/k.exp"
echo "ChildEBP RetAddr  Args to Child" >> "$TMP/kb.exp"
echo " # ChildEBP RetAddr" >> "$TMP/kn.exp"
while read -r _ _ _ n ebp ret eip a1 a2 a3; do
	case $eip in
	004*) mod=xframe_eh_exe obj="$X86/xframe_eh_exe.exe" ;;
	100*) mod=xframe_eh_dll obj="$X86/xframe_eh_dll.dll" ;;
	*) mod=nosym obj= ;;
	esac
	if [ -n "$obj" ] && command -v llvm-symbolizer-14 > /dev/null; then
		fn=$(llvm-symbolizer-14 --obj="$obj" "0x$eip" | head -1)
	else
		fn='[A-Za-z_][A-Za-z0-9_]*' # no oracle: any name
	fi
	if [ "$mod" = nosym ]; then
		site="nosym+0x$(printf '%x' $((0x$eip - 0x20000000)))"
		for f in k kb kn; do
			echo "WARNING: Stack unwind information not available. Following frames may be wrong." >> "$TMP/$f.exp"
		done
	else
		site=$(grep -o "^$ebp $ret $mod!$fn+0x[0-9a-f]*\$" "$TMP/chain.out" | head -1 | cut -d' ' -f3)
		[ -n "$site" ] || site="$mod!${fn:-?}+0x?"
	fi
	echo "$ebp $ret $site" >> "$TMP/k.exp"
	echo "$ebp $ret $a1 $a2 $a3 $site" >> "$TMP/kb.exp"
	echo "$(printf '%02x' "$n") $ebp $ret $site" >> "$TMP/kn.exp"
done < "$TMP/frames"
cat "$TMP/k.exp" "$TMP/kb.exp" "$TMP/kn.exp" > "$TMP/all.exp"
head -n "$(wc -l < "$TMP/all.exp")" "$TMP/chain.out" > "$TMP/all.got"
if cmp -s "$TMP/all.exp" "$TMP/all.got"; then
	ok "k, kb and kn list exactly the constructed frames, named as llvm-symbolizer names them"
else
	not_ok "k, kb and kn list exactly the constructed frames, named as llvm-symbolizer names them"
	diff "$TMP/all.exp" "$TMP/all.got" | head -30
fi
# kv 3: the first three frames, the FrameData frames without an FPO note
# (WinDbg notes only old FPO records); k 2: two frames.
n=$(wc -l < "$TMP/all.exp")
sed -n "$((n + 1)),$((n + 4))p" "$TMP/chain.out" > "$TMP/kv3.got"
sed -n '2,4p' "$TMP/kb.exp" | sed '1i ChildEBP RetAddr  Args to Child' > "$TMP/kv3.exp"
cmp -s "$TMP/kv3.exp" "$TMP/kv3.got" && ok "kv 3 shows three frames" \
	|| { not_ok "kv 3 shows three frames"; diff "$TMP/kv3.exp" "$TMP/kv3.got"; }
sed -n "$((n + 5)),$((n + 7))p" "$TMP/chain.out" > "$TMP/k2.got"
head -3 "$TMP/k.exp" > "$TMP/k2.exp"
cmp -s "$TMP/k2.exp" "$TMP/k2.got" && ok "k 2 shows two frames" \
	|| { not_ok "k 2 shows two frames"; diff "$TMP/k2.exp" "$TMP/k2.got"; }

# .frame and .frame /r: the registers the unwind restored (kdsim marks a
# register saved by frame N as 5a00NNRR).
run_kd "$TMP/chain.kds" ".frame 3; .frame /r 3; .frame 9" "$TMP/frame.out"
f3=$(sed -n 5p "$TMP/kn.exp")
expect "$TMP/frame.out" "$f3" ".frame 3 shows frame 3"
grep -q '^eax=c0de0000 ebx=5a000303 ecx=c0de0001 edx=c0de0002 esi=5a000306 edi=5a000307$' "$TMP/frame.out" \
	&& ok ".frame /r 3 shows the registers saved for frame 3" \
	|| { not_ok ".frame /r 3 shows the registers saved for frame 3"; cat "$TMP/frame.out"; }
grep -q "^Frame 9 not found" "$TMP/frame.out.err" "$TMP/frame.out" && ok ".frame past the end is refused" \
	|| { not_ok ".frame past the end is refused"; cat "$TMP/frame.out.err"; }

# kp: the parameters' types (as x shows the signature) and values (the
# stack slots after the return address) where the PDB types the function.
run_kd "$TMP/chain.kds" "kp; x xframe_eh_dll!dllmain_crt_process_attach" "$TMP/kp.out"
sig=$(grep -o 'xframe_eh_dll!dllmain_crt_process_attach (.*)$' "$TMP/kp.out" | sed 's/^[^(]*//')
f5=$(sed -n 6p "$TMP/frames")
set -- $f5
want="$5 $6 $8 $9 ${10} xframe_eh_dll!dllmain_crt_process_attach(struct HINSTANCE__ * = 0x$8, void * = 0x$9)+0x"
if [ "$sig" = "(struct HINSTANCE__ *, void *)" ] && grep -qF -- "$want" "$TMP/kp.out"; then
	ok "kp shows the typed parameters of a function the PDB types"
else
	not_ok "kp shows the typed parameters of a function the PDB types"; echo "  want: $want / sig $sig"; cat "$TMP/kp.out"
fi
grep -q '^82b30074 [0-9a-f]* 00000000 00000000 00000000 nosym+0x100$' "$TMP/kp.out" && ok "kp without types shows what kb shows" \
	|| not_ok "kp without types shows what kb shows"

# --- the seeds' overrides: the trace starts with the override line
run_kd "$KD_SRCDIR/tests/kdsim/scenarios/seeds-x86.kds" ".cxr f08536fc; kv; .cxr; k" "$TMP/cxr.out"
cat > "$TMP/cxr.exp" <<'EOF'
*** Stack trace for last set context - .thread/.cxr resets it
ChildEBP RetAddr  Args to Child
WARNING: Stack unwind information not available. Following frames may be wrong.
00000000 00000000 00000000 00000000 00000000 vicamusb+0x173b
EOF
grep -A3 '^\*\*\* Stack trace' "$TMP/cxr.out" | head -4 > "$TMP/cxr.got"
cmp -s "$TMP/cxr.exp" "$TMP/cxr.got" && ok "seed 002: .cxr f08536fc; kv" \
	|| { not_ok "seed 002: .cxr f08536fc; kv"; diff "$TMP/cxr.exp" "$TMP/cxr.got"; }
[ "$(grep -c '^\*\*\* Stack trace' "$TMP/cxr.out")" -eq 1 ] && ok ".cxr without an argument ends the override line" \
	|| not_ok ".cxr without an argument ends the override line"
run_kd "$KD_SRCDIR/tests/kdsim/scenarios/seeds-x86.kds" ".trap f71efb38; kv" "$TMP/trap.out"
sed -n '/^\*\*\* Stack trace/,$p' "$TMP/trap.out" | head -2 > "$TMP/trap.got"
printf '%s\n' "*** Stack trace for last set context - .thread/.cxr resets it" "ChildEBP RetAddr  Args to Child" > "$TMP/trap.exp"
cmp -s "$TMP/trap.exp" "$TMP/trap.got" && ok "seed 002: .trap f71efb38; kv starts with the override line" \
	|| { not_ok "seed 002: .trap f71efb38; kv starts with the override line"; cat "$TMP/trap.out"; }
grep -q '^f71efbd0 ' "$TMP/trap.out" && ok ".trap: the first frame is the trap frame's EBP" \
	|| { not_ok ".trap: the first frame is the trap frame's EBP"; cat "$TMP/trap.out"; }

# --- seed 001, processor #3: k= with the article's three values lists
# the article's frames (the WARNING lines aside, which the article's
# flattened text does not show)
cat > "$TMP/keq.exp" <<'EOF'
ChildEBP RetAddr
91aec89c 82e1e92d hal!KfLowerIrql+0x61
91aec8a0 82a3bdc7 hal!KeReleaseQueuedSpinLock+0x2d
91aec9a8 82aab049 nt!MiReturnNonPagedPoolVa+0x1d4
91aec9c0 82ab1685 nt!FindNodeOrParent+0x20
91aec9d8 82abd820 nt!RtlLookupElementGenericTableFullAvl+0x16
91aeca0c 82e20ba9 nt!RtlLookupElementGenericTableAvl+0x18
91aeca1c 82b199d2 hal!KfLowerIrql+0x61
91aeca24 82d41ad1 nt!VfAvlUnlockShared+0x15
91aeca40 82b2aef1 nt!VfRemLockDeleteMemoryRange+0x5c
91aecaa8 963a55c5 nt!ExFreePoolWithTag+0x436
91aecac8 963a61d4 Zyx+0x5c5
91aecb00 82d3a6c3 Zyx+0x11d4
91aecb24 82a4054a nt!IovCallDriver+0x258
91aecb38 82c3b975 nt!IofCallDriver+0x1b
91aecb7c 82c2c591 nt!IopDeleteFile+0x10c
91aecb94 82a81d60 nt!ObpRemoveObjectRoutine+0x59
91aecba8 82a81cd0 nt!ObfDereferenceObjectWithTag+0x88
91aecbb0 82c4f308 nt!ObfDereferenceObject+0xd
91aecbf0 82c7dba9 nt!ObpCloseHandleTableEntry+0x21d
91aecc20 82c65f86 nt!ExSweepHandleTable+0x5f
91aecc40 82c73666 nt!ObKillProcess+0x54
91aeccb4 82c87051 nt!PspExitThread+0x5db
91aecccc 82aba8c0 nt!PsExitSpecialApc+0x22
91aecd1c 82a472a4 nt!KiDeliverApc+0x28b
91aecd1c 775570b4 nt!KiServiceExit+0x64
0147ff88 00000000 0x775570b4
EOF
run_kd "$KD_SRCDIR/tests/kdsim/scenarios/stack-k-eq.kds" "k= 91aec89c 91aec88c 82e20ba9; kn= 91aec89c 91aec88c 82e20ba9 3" "$TMP/keq.out"
grep -v '^WARNING: ' "$TMP/keq.out" | head -27 > "$TMP/keq.got"
cmp -s "$TMP/keq.exp" "$TMP/keq.got" && ok "seed 001: k= 91aec89c 91aec88c 82e20ba9 lists the seed's frames" \
	|| { not_ok "seed 001: k= 91aec89c 91aec88c 82e20ba9 lists the seed's frames"; diff "$TMP/keq.exp" "$TMP/keq.got"; cat "$TMP/keq.out.err"; }
grep -q '^WARNING: Frame IP not in any known module. Following frames may be wrong.$' "$TMP/keq.out" \
	&& ok "k= warns before the user-mode frame outside any module" || not_ok "k= warns before the user-mode frame outside any module"
printf '%s\n' " # ChildEBP RetAddr" "00 91aec89c 82e1e92d hal!KfLowerIrql+0x61" "01 91aec8a0 82a3bdc7 hal!KeReleaseQueuedSpinLock+0x2d" \
	"02 91aec9a8 82aab049 nt!MiReturnNonPagedPoolVa+0x1d4" > "$TMP/kneq.exp"
tail -4 "$TMP/keq.out" > "$TMP/kneq.got"
cmp -s "$TMP/kneq.exp" "$TMP/kneq.got" && ok "kn= with a frame count" \
	|| { not_ok "kn= with a frame count"; diff "$TMP/kneq.exp" "$TMP/kneq.got"; }

# --- seed 002's kv through a trap handler and a task gate
# (tests/kdsim/scenarios/stack-seeds-x86.kds). The seed's NDIS frame at
# fcc604d9 is ndisMStartSendPackets+0x1fb although ndisMSend starts below
# it (code split by an optimizer): export names cannot say that, so that
# one line is compared without its call site.
cat > "$TMP/kv002.exp" <<'EOF'
ChildEBP RetAddr  Args to Child
f645e62c fcc494f6 80465402 00000030 00000030 nt!KiTrap0E+0x27c (FPO: [0,0] TrapFrame @ f645e62c)
f645e69c f7095181 004c0407 f645e74c f645e748 NDIS!NdisQueryBufferOffset+0x8 (FPO: [3,0,0])
f645e770 f70950c7 81381008 813090b8 813b0800 el90xbc5!SendPacket+0x61 (FPO: [Non-Fpo])
f645e794 fcc604d9 81381008 f645e7b4 00000001 el90xbc5!NICSendPackets+0xa5 (FPO: [Non-Fpo])
f645e808 fcc536a0 813090b8 813b0890 813090e0
f645e82c fcc60643 812d1e48 813090b8 00000000 NDIS!ndisMProcessDeferred+0x37 (FPO: [Non-Fpo])
*** Stack trace for last set context - .thread/.cxr resets it
ChildEBP RetAddr  Args to Child
f645e69c f7095181 004c0407 f645e74c f645e748 NDIS!NdisQueryBufferOffset+0x8 (FPO: [3,0,0])
f645e770 f70950c7 81381008 813090b8 813b0800 el90xbc5!SendPacket+0x61 (FPO: [Non-Fpo])
f645e794 fcc604d9 81381008 f645e7b4 00000001 el90xbc5!NICSendPackets+0xa5 (FPO: [Non-Fpo])
f645e808 fcc536a0 813090b8 813b0890 813090e0
f645e82c fcc60643 812d1e48 813090b8 00000000 NDIS!ndisMProcessDeferred+0x37 (FPO: [Non-Fpo])
f645e848 f6ec1218 812d1c68 81309001 812d1e48 NDIS!ndisMSend+0x20b (FPO: [Non-Fpo])
ChildEBP RetAddr  Args to Child
00000000 bfb2b7f4 00000000 00000000 00000000 nt!KiTrap08+0x41 (FPO: TaskGate 28:0)
WARNING: Stack unwind information not available. Following frames may be wrong.
f24391c0 bfda8aa8 00000001 81fa85e0 00000d12 xyzwdm+0x707f4
f24391e0 bfda8af5 00000001 81fa85e0 00000d12 xyzspud+0xeaa8
f243920c bfda09ba 00000001 81fa85e0 00000d12 xyzspud+0xeaf5
EOF
rm -f "$TMP/pipe"
start_sim --pipe "$TMP/pipe" --arch x86 --cpus 2 --scenario "$KD_SRCDIR/tests/kdsim/scenarios/stack-seeds-x86.kds" \
	|| not_ok "kdsim loads stack-seeds-x86.kds"
timeout 60 "$KD" -k "com:pipe,port=$TMP/pipe" -b -c "kv 6; .trap f645e62c; kv 6; ~1s; kv 4" < /dev/null 2> "$TMP/kv002.err" \
	| sed -n '/^0: kd> /,$p' | sed 1d | sed 's/ *$//' \
	| grep -v '^ErrCode\|^eax\|^eip\|^cs=\|^NDIS!NdisQueryBufferOffset+0x8:$\|^fcc494f6 \|^nt!KiTrap08+0x41:$\|^80464f41 \|^1: kd>' \
	| sed 's/^\(f645e808 fcc536a0 813090b8 813b0890 813090e0\) .*/\1/' > "$TMP/kv002.got"
kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
cmp -s "$TMP/kv002.exp" "$TMP/kv002.got" && ok "seed 002: kv shows the trap frame, FPO records and the task gate as the seed does" \
	|| { not_ok "seed 002: kv shows the trap frame, FPO records and the task gate as the seed does"; diff "$TMP/kv002.exp" "$TMP/kv002.got"; cat "$TMP/kv002.err"; }

# seed 002: after .tss 28, kv shows the task's stack with no "last set
# context" line (the seed's lines after `.tss 28`)
cat > "$TMP/tss.exp" <<'EOF'
ChildEBP RetAddr  Args to Child
WARNING: Stack unwind information not available. Following frames may be wrong.
f24391c0 bfda8aa8 00000001 81fa85e0 00000d12 xyzwdm+0x707f4
f24391e0 bfda8af5 00000001 81fa85e0 00000d12 xyzspud+0xeaa8
EOF
rm -f "$TMP/pipe"
start_sim --pipe "$TMP/pipe" --arch x86 --cpus 2 --scenario "$KD_SRCDIR/tests/kdsim/scenarios/stack-seeds-x86.kds" \
	|| not_ok "kdsim loads stack-seeds-x86.kds"
timeout 60 "$KD" -k "com:pipe,port=$TMP/pipe" -b -c "~1s; .tss 28; kv 2" < /dev/null 2> "$TMP/tss.err" \
	| sed -n '/^\*\*\* Stack\|^ChildEBP/,$p' | sed 's/ *$//' > "$TMP/tss.got"
kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; SIM_PID=
cmp -s "$TMP/tss.exp" "$TMP/tss.got" && ok "seed 002: .tss 28; kv shows the task's stack without the override line" \
	|| { not_ok "seed 002: .tss 28; kv shows the task's stack without the override line"; diff "$TMP/tss.exp" "$TMP/tss.got"; cat "$TMP/tss.err"; }

[ $failures -eq 0 ]
