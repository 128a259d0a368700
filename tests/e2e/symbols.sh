#!/bin/sh
# The symbols acceptance session of issue 8: kd -z IMAGE -y DIR shows the
# module with its PDB (lmv), finds main with x, and names main+5 with ln;
# the expected address of main comes from llvm-pdbutil-14/llvm-readobj-14.
# Also: -y with a folder holding the wrong PDB gives no pdb symbols.
. "$KD_SRCDIR/tests/e2e/lib.sh"

if ! "$KD" --help 2>&1 | grep -q -- '-y'; then
	echo "kd has no -y option yet: skipping"
	exit 77
fi
if ! command -v llvm-pdbutil-14 >/dev/null || ! command -v llvm-readobj-14 >/dev/null; then
	echo "llvm-pdbutil-14/llvm-readobj-14 not installed: skipping"
	exit 77
fi
for arch in x64 x86; do
	dir=$KD_DATA/pe/$arch
	img=$dir/xframe_eh_exe.exe
	[ -f "$img" ] || { echo "$img missing: skipping"; exit 77; }
	base=$(llvm-readobj-14 --file-headers "$img" | awk '/ImageBase:/ {print $2; exit}')
	off=$(llvm-pdbutil-14 dump -symbols "$dir/xframe_eh_exe.pdb" |
		awk '/S_GPROC32 .*`main`/ {getline; sub(/.*addr = /, ""); sub(/,.*/, ""); print; exit}')
	sec=$(echo "$off" | awk -F: '{print $1 + 0}')
	secoff=$(echo "$off" | awk -F: '{print $2 + 0}')
	va=$(llvm-readobj-14 --sections "$img" | awk -v n="$sec" '/Section \{/ {k++} k == n && /VirtualAddress:/ {print $2; exit}')
	main=$((base + va + secoff))
	if [ $arch = x64 ]; then
		fmt() { printf '%08x`%08x' $(($1 >> 32)) $(($1 & 0xffffffff)); }
	else
		fmt() { printf '%08x' "$1"; }
	fi
	timeout 60 "$KD" -z "$img" -y "$dir" \
		-c "lmv m xframe_eh_exe; x xframe_eh_exe!*main*; ln $(printf '%x' $((main + 5))); q" \
		< /dev/null > "$TMP/$arch.out" 2>&1
	grep -q "xframe_eh_exe   (pdb symbols)          $dir/xframe_eh_exe.pdb" "$TMP/$arch.out" \
		&& ok "$arch: lmv shows pdb symbols and the PDB path" \
		|| { not_ok "$arch: lmv shows pdb symbols and the PDB path"; sed 's/^/  | /' "$TMP/$arch.out"; }
	expect "$TMP/$arch.out" "$(fmt $main) xframe_eh_exe!main (void)" "$arch: x finds main at its address"
	grep -q "^($(fmt $main))   xframe_eh_exe!main+0x5   |  (" "$TMP/$arch.out" \
		&& ok "$arch: ln names main+0x5" \
		|| { not_ok "$arch: ln names main+0x5"; sed 's/^/  | /' "$TMP/$arch.out"; }
done
# the x86 PDB does not match the x64 image: refused
mkdir -p "$TMP/wrong"
cp "$KD_DATA/pe/x64/xframe_eh_exe.exe" "$TMP/wrong/"
cp "$KD_DATA/pe/x86/xframe_eh_exe.pdb" "$TMP/wrong/"
timeout 60 "$KD" -z "$TMP/wrong/xframe_eh_exe.exe" -y "$TMP/wrong" -c "lmv m xframe_eh_exe; q" \
	< /dev/null > "$TMP/wrong.out" 2>&1
grep -q "(pdb symbols)" "$TMP/wrong.out" && not_ok "a mismatched PDB is refused" || ok "a mismatched PDB is refused"
[ $failures = 0 ]
