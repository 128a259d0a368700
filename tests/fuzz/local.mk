# tests/fuzz/: libFuzzer harnesses; `make check` replays their corpora.
# A harness NAME is tests/fuzz/fuzz_NAME.c with its corpus in
# tests/fuzz/corpus/NAME/; replay_NAME runs it over that corpus (the name
# comes from the program's own name). To add one: add NAME to FUZZ_TARGETS,
# replay_NAME to FUZZ_REPLAYS (automake needs program names spelled out)
# and write its SOURCES line below.
FUZZ_TARGETS = kdcom kdnet kdnet_pcap pdb pe dump expr framedata unwind_x64 \
	bp_args kdsim_scenario kdsim_stub kext
FUZZ_REPLAYS = tests/fuzz/replay_kdcom tests/fuzz/replay_kdnet tests/fuzz/replay_kdnet_pcap \
	tests/fuzz/replay_pdb tests/fuzz/replay_pe tests/fuzz/replay_dump tests/fuzz/replay_expr \
	tests/fuzz/replay_framedata tests/fuzz/replay_unwind_x64 tests/fuzz/replay_bp_args \
	tests/fuzz/replay_kdsim_scenario tests/fuzz/replay_kdsim_stub tests/fuzz/replay_kext
check_PROGRAMS += $(FUZZ_REPLAYS)
KD_TESTS += $(FUZZ_REPLAYS)
EXTRA_DIST += tests/fuzz/run-fuzz tests/fuzz/run-campaign tests/fuzz/replay_main.c tests/fuzz/corpus

tests_fuzz_replay_kdcom_SOURCES = tests/fuzz/fuzz_kdcom.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdnet_SOURCES = tests/fuzz/fuzz_kdnet.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdnet_pcap_SOURCES = tests/fuzz/fuzz_kdnet_pcap.c tests/fuzz/replay_main.c
tests_fuzz_replay_pdb_SOURCES = tests/fuzz/fuzz_pdb.c tests/fuzz/replay_main.c
tests_fuzz_replay_pe_SOURCES = tests/fuzz/fuzz_pe.c tests/fuzz/replay_main.c
tests_fuzz_replay_dump_SOURCES = tests/fuzz/fuzz_dump.c tests/fuzz/replay_main.c
tests_fuzz_replay_expr_SOURCES = tests/fuzz/fuzz_expr.c tests/fuzz/replay_main.c
tests_fuzz_replay_framedata_SOURCES = tests/fuzz/fuzz_framedata.c tests/fuzz/replay_main.c
tests_fuzz_replay_unwind_x64_SOURCES = tests/fuzz/fuzz_unwind_x64.c tests/fuzz/replay_main.c
tests_fuzz_replay_bp_args_SOURCES = tests/fuzz/fuzz_bp_args.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdsim_scenario_SOURCES = tests/fuzz/fuzz_kdsim_scenario.c tests/fuzz/replay_main.c
tests_fuzz_replay_kdsim_stub_SOURCES = tests/fuzz/fuzz_kdsim_stub.c tests/fuzz/replay_main.c
tests_fuzz_replay_kext_SOURCES = tests/fuzz/fuzz_kext.c tests/fuzz/replay_main.c
