#!/bin/sh
# make check's run of tools/check-layers: no include points up the layers.
cd "${KD_SRCDIR:-.}" || exit 1
if sh tools/check-layers; then
	echo "ok - layers"
else
	echo "not ok - layers"
	exit 1
fi
