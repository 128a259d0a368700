# bench/: benchmarks, run by `make bench` from a build directory.
EXTRA_DIST += bench/kdcom.sh

bench: kd/kd tests/kdsim/kdsim
	@echo "== KDCOM: attach and 1 MiB read"
	@KD_BUILDDIR=$(abs_top_builddir) $(SHELL) $(top_srcdir)/bench/kdcom.sh
	@echo "== symbols: see bench/symbols/run.sh (needs clang-cl-14, lld-link-14)"
.PHONY: bench
