# tests/e2e/: transcript tests of the real kd against kdsim over real
# transports, and the fault proxy that damages the line between them.
E2E_TESTS = \
	tests/e2e/attach.sh tests/e2e/faults.sh tests/e2e/seeds.sh tests/e2e/kdfiles.sh \
	tests/e2e/kdnet.sh tests/e2e/symbols.sh tests/e2e/threads.sh tests/e2e/dump.sh \
	tests/e2e/stack-x86.sh tests/e2e/stack-x64.sh tests/e2e/exec.sh tests/e2e/demo.sh tests/e2e/lost.sh \
	tests/e2e/kobjects.sh tests/e2e/memext.sh
KD_TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS) tests/e2e/lib.sh tests/e2e/seeds-x86.expected tests/e2e/seeds-x64.expected

check_PROGRAMS += tests/faultproxy
tests_faultproxy_LDADD = $(UV_LIBS)
