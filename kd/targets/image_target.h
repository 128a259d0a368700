/*
 * A PE image file as a kd target (kd -z image.exe, as WinDbg opens one):
 * the image mapped at its preferred base (headers and sections; bytes no
 * section maps are unreadable), one processor of the image's machine, and
 * the image itself as the only module.
 */
#ifndef KD_TARGETS_IMAGE_TARGET_H
#define KD_TARGETS_IMAGE_TARGET_H

#include <stddef.h>

#include "kd/engine/target.h"

/* Open the PE image at path. On failure returns a negative KD_E* code
 * with one line for the user in err. */
int kd_image_target_open(const char *path, struct kd_target **out, char *err, size_t errlen);

/* Nonzero when the file at path starts like a PE image ("MZ"), so a front
 * end can tell images from dumps for -z. */
int kd_image_target_probe(const char *path);

#endif
