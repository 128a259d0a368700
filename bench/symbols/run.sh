#!/bin/sh
# Symbol benchmark (issue 8): builds a large PDB with clang-cl-14/lld-link-14
# (N functions and N structs, default 30000) and reports, side by side with
# llvm-symbolizer-14 on the same image, whole-process time and peak memory
# to resolve one address and 100k addresses, and kd's time for dt of one
# struct by name. Run from a build directory: sh $srcdir/bench/symbols/run.sh
set -e
N=${N:-30000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_DIR:-bench-symbols}
drv=${BENCH_DRIVER:-./bench/symbols/bench_symbols}
mkdir -p "$work"
if [ ! -f "$work/big$N.pdb" ]; then
  echo "generating $N functions and $N structs..."
  python3 "$here/gen.py" "$N" "$work/big$N.c"
  (cd "$work" && clang-cl-14 -c /Z7 /O1 /GS- "big$N.c" >/dev/null &&
   lld-link-14 /debug /entry:main /nodefaultlib /subsystem:console "big$N.obj" \
     "/out:big$N.exe" "/pdb:big$N.pdb" >/dev/null)
fi
img=$work/big$N.exe
ls -l "$work/big$N.pdb" | awk '{printf "PDB: %.1f MB\n", $5 / 1048576}'
# 100k addresses spread over .text
python3 - "$img" "$work/addrs.txt" <<'PY'
import random, struct, sys
d = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", d, 0x3c)[0]
nsec = struct.unpack_from("<H", d, pe + 6)[0]
opt = struct.unpack_from("<H", d, pe + 20)[0]
base = struct.unpack_from("<Q", d, pe + 24 + 24)[0]
for i in range(nsec):
    s = pe + 24 + opt + 40 * i
    if d[s:s + 5] == b".text":
        vsize, rva = struct.unpack_from("<II", d, s + 8)
random.seed(8)
with open(sys.argv[2], "w") as f:
    for _ in range(100000):
        f.write("0x%x\n" % (base + rva + random.randrange(vsize)))
PY
one=$(head -1 "$work/addrs.txt")
# llvm-symbolizer also reads line tables and is slow on many addresses:
# its 100k run is cut at LLVM_TIMEOUT seconds (default 300).
LLVM_TIMEOUT=${LLVM_TIMEOUT:-300}
measure() { # label, command...
  label=$1; shift
  if /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt"; then
    read secs kb < "$work/time.txt"
    printf "%-34s %8.3f s %9.1f MiB\n" "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
  else
    printf "%-34s  did not finish (timeout)\n" "$label"
  fi
}
echo "one address ($one):"
measure "  kd" "$drv" "$img" "$work" addr "$one"
measure "  llvm-symbolizer-14" llvm-symbolizer-14 --obj="$img" "$one"
echo "100k addresses:"
measure "  kd" "$drv" "$img" "$work" addrs "$work/addrs.txt"
measure "  llvm-symbolizer-14" timeout "$LLVM_TIMEOUT" sh -c "llvm-symbolizer-14 --obj='$img' < '$work/addrs.txt'"
echo "dt of one struct by name:"
measure "  kd dt S$((N / 2))" "$drv" "$img" "$work" dt "big$N!S$((N / 2))"
