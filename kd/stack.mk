# Stack walking and the k family (x86 walker, generic walk, commands).
libkd_a_SOURCES += kd/stack.h
