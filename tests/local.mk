# tests/: unit tests of the foundation, kdsim and the transcript tests.
EXTRA_DIST += tests/run-tests
