#!/bin/sh
# Memory search and string commands end to end against kdsim (x64, the
# kobjects scenario: tests/kdsim/scenarios/kobjects-x64.kds): s -a/-u/-q/-b
# with the 1 flag, dpa, dpu, da/du /c, and the log file (.logopen,
# .logappend, .logclose, .logfile). Expected values come from the scenario
# or from what the test writes first.
. "$KD_SRCDIR/tests/e2e/lib.sh"

start_sim --pipe "$TMP/com" --arch x64 --cpus 2 \
	--scenario "$KD_SRCDIR/tests/kdsim/scenarios/kobjects-x64.kds" || not_ok "kdsim loads the kobjects scenario"
run() { # name commands
	timeout 60 "$KD" -k "com:pipe,port=$TMP/com" -b -c "$2; q" < /dev/null > "$TMP/$1.all" 2>&1
	sed -n '/^0: kd> /,$p' "$TMP/$1.all" | sed 1d > "$TMP/$1.out"
}

# System's EPROCESS is at fffff80013000000 (ImageFileName at +0x5a8,
# ActiveProcessLinks.Blink at +0x450 = PsActiveProcessHead fffff800126f8000);
# smss.exe's at fffff80013001000. Free bytes of System's page hold a
# Unicode string and two pointers the test writes.
run search 'ew fffff80013000c00 48 69 21 0; eq fffff80013000d00 fffff800130015a8 fffff80013000c00; s -a fffff80013000000 L3000 "smss"; s -[1]q fffff80013000000 L200 fffff800126f8000; s -u fffff80013000000 L1000 "Hi"; s -b fffff800130005a0 fffff800130005b0 79 73 74; s -[1]a fffff80013000000 L10 "zzz"; s -d 0 L1 1 2; s -x 0 L1 1; s fffff80013000000 L20000000 1; dpa fffff80013000d00 L1; dpu fffff80013000d08 L1; da /c 3 fffff800130005a8; du /c 2 fffff80013000c00; da /c 0 0'
out="$TMP/search.out"
expect "$out" 'fffff800`130015a8  73 6d 73 73 2e 65 78 65-00 00 00 00 00 00 00 00  smss.exe........' \
	"s -a finds an ASCII string and shows its line as db does"
expect "$out" 'fffff800`13000450' "s -[1]q finds a quadword and shows only its address"
expect "$out" 'fffff800`13000c00  48 00 69 00 21 00 00 00-00 00 00 00 00 00 00 00  H.i.!...........' \
	"s -u finds a Unicode string"
expect "$out" 'fffff800`130005a9  79 73 74 65 6d 00 00 00-00 00 00 00 00 00 00 00  ystem...........' \
	"s -b with an end address finds a byte sequence"
grep -q '^fffff800`13000000' "$out" && not_ok "s with no match prints nothing" || ok "s with no match prints nothing"
expect "$out" "s: unknown type 'x'. Syntax: s [-[1]b|w|d|q|a|u] Address L Count|EndAddress Pattern" "s -x is refused with the syntax"
expect "$out" "Range error: over 256 MB; use L? to search more" "s over 256 MB is refused without L?"
expect "$out" 'fffff800`13000d00  fffff800`130015a8 "smss.exe"' "dpa shows the ASCII string a pointer points at"
expect "$out" 'fffff800`13000d08  fffff800`13000c00 "Hi!"' "dpu shows the Unicode string a pointer points at"
expect "$out" 'fffff800`130005a8  "Sys"' "da /c 3: three characters a line"
expect "$out" 'fffff800`130005ab  "tem"' "da /c 3: the rest on the next line"
expect "$out" 'fffff800`13000c00  "Hi"' "du /c 2: two characters a line"
expect "$out" 'fffff800`13000c04  "!"' "du /c 2: the rest on the next line"
expect "$out" "da: /c takes a width from 1 to 1000" "da /c 0 is refused"

run log ".logfile; .logopen $TMP/kd.log; ? 1+2; .logfile; .logclose; .logappend $TMP/kd.log; ? 3+4; .logclose; .logclose; .logopen /t $TMP/stamp.log; .logclose"
out="$TMP/log.out"
expect "$out" "No log file open" ".logfile and .logclose without a log say so"
expect "$out" "Opened log file '$TMP/kd.log'" ".logopen names the file"
expect "$out" "Log '$TMP/kd.log' open" ".logfile names the open log"
expect "$out" "Closing open log file $TMP/kd.log" ".logclose names the file it closes"
grep -q '^Evaluate expression: 3 = 00000000`00000003$' "$TMP/kd.log" && grep -q '^Evaluate expression: 7 = 00000000`00000007$' "$TMP/kd.log" \
	&& ok "the log holds the output of both sessions (.logappend adds to it)" || { not_ok "the log holds the output"; cat "$TMP/kd.log"; }
grep -q '^0: kd> .logfile; .logopen' "$TMP/kd.log" && not_ok "the log starts after .logopen" || ok "the log starts after .logopen"
ls "$TMP"/stamp_*_????-??-??_??-??-??-???.log > /dev/null 2>&1 && ok ".logopen /t names the file with the process id and time" \
	|| { not_ok ".logopen /t names the file with the process id and time"; ls "$TMP"; }
kill $SIM_PID; wait $SIM_PID 2>/dev/null; SIM_PID=
[ $failures -eq 0 ]
