# bench/: benchmarks, run by `make bench` from a build directory.
EXTRA_DIST += bench/kdcom.sh bench/symbols/run.sh bench/symbols/gen.py

# bench/symbols: `sh bench/symbols/run.sh` in a build directory after
# `make bench/symbols/bench_symbols` (built by make check; needs clang-cl-14,
# lld-link-14, llvm-symbolizer-14).
check_PROGRAMS += bench/symbols/bench_symbols

bench: kd/kd tests/kdsim/kdsim
	@echo "== KDCOM: attach and 1 MiB read"
	@KD_BUILDDIR=$(abs_top_builddir) $(SHELL) $(top_srcdir)/bench/kdcom.sh
	@echo "== symbols: see bench/symbols/run.sh (needs clang-cl-14, lld-link-14)"
.PHONY: bench
