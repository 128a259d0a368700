# proto/kdnet*: KDNET over UDP, key handling, the capture decoder (included by Makefile.am).
libkd_a_SOURCES += \
	proto/kdnet_key.h proto/kdnet_key.c \
	proto/kdnet.h proto/kdnet.c \
	proto/dbgkd_names.c \
	proto/kd_describe.h proto/kd_describe.c
libkd_a_SOURCES += \
	proto/kdnet_decoder.h proto/kdnet_decoder.c \
	kd/decode_pcap.h kd/decode_pcap.c

check_PROGRAMS += tests/unit/test_kdnet_key
tests_unit_test_kdnet_key_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdnet_key

check_PROGRAMS += tests/unit/test_kdnet
tests_unit_test_kdnet_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdnet

check_PROGRAMS += tests/unit/test_kdnet_capture
tests_unit_test_kdnet_capture_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdnet_capture

check_PROGRAMS += tests/fuzz/replay_kdnet
tests_fuzz_replay_kdnet_SOURCES = tests/fuzz/fuzz_kdnet.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdnet_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"kdnet"'
tests_fuzz_replay_kdnet_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_kdnet
FUZZ_TARGETS += kdnet

# transport/udp: the UDP endpoint KDNET runs on.
libkd_a_SOURCES += transport/udp.h transport/udp.c
libkd_a_SOURCES += proto/kdnet_link.h proto/kdnet_link.c

check_PROGRAMS += tests/unit/test_kdnet_link
tests_unit_test_kdnet_link_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdnet_link
libkd_a_SOURCES += kd/kdnet_replay.h kd/kdnet_replay.c

check_PROGRAMS += tests/unit/test_kdnet_replay
tests_unit_test_kdnet_replay_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_kdnet_replay

check_PROGRAMS += tests/unit/test_describe
tests_unit_test_describe_LDADD = $(CMOCKA_TEST_LIBS)
KD_TESTS += tests/unit/test_describe
libkd_a_SOURCES += proto/kdnet_spec.h proto/kdnet_spec.c

KD_TESTS += tests/e2e/kdnet.sh
EXTRA_DIST += tests/e2e/kdnet.sh

check_PROGRAMS += tests/fuzz/replay_kdnet_pcap
tests_fuzz_replay_kdnet_pcap_SOURCES = tests/fuzz/fuzz_kdnet_pcap.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdnet_pcap_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"kdnet_pcap"'
tests_fuzz_replay_kdnet_pcap_LDADD = $(KD_LIBS)
KD_TESTS += tests/fuzz/replay_kdnet_pcap
FUZZ_TARGETS += kdnet_pcap
