# proto/kdnet*: KDNET over UDP, key handling, the capture decoder (included by Makefile.am).
