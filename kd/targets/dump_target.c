/*
 * The dump target: struct kd_target operations over a parsed crash dump
 * (kd/targets/dump_file.h), with the file mapped read-only or a private copy of a
 * buffer.
 */
#include "kd/targets/dump_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kd/targets/dump_file.h"
#include "base/error.h"

struct dump_target {
	struct kd_target target;
	struct kd_dump *dump;
	void *map;       /* mmap'd file, or NULL */
	size_t map_len;
	void *copy;      /* malloc'd buffer, or NULL */
};

static struct dump_target *impl(struct kd_target *t)
{
	return t->impl;
}

static void dt_close(struct kd_target *t)
{
	struct dump_target *dt = impl(t);
	kd_dump_free(dt->dump);
	if (dt->map)
		munmap(dt->map, dt->map_len);
	free(dt->copy);
	free(dt);
}

static int dt_version(struct kd_target *t, struct kd_version *out)
{
	kd_dump_version(impl(t)->dump, out);
	return 0;
}

static int dt_read_virtual(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return kd_dump_read_virtual(impl(t)->dump, addr, buf, len, done);
}

static int dt_read_physical(struct kd_target *t, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return kd_dump_read_physical(impl(t)->dump, addr, buf, len, done);
}

static int dt_get_context(struct kd_target *t, unsigned cpu, struct kd_context *out)
{
	return kd_dump_context(impl(t)->dump, cpu, out);
}

static int dt_read_control(struct kd_target *t, unsigned cpu, uint64_t addr, void *buf, uint32_t len, uint32_t *done)
{
	return kd_dump_read_control(impl(t)->dump, cpu, addr, buf, len, done);
}

static int dt_bugcheck(struct kd_target *t, struct kd_bugcheck *out)
{
	*out = impl(t)->dump->bugcheck;
	return 0;
}

static int dt_modules(struct kd_target *t, struct kd_module **list, size_t *count)
{
	return kd_dump_modules(impl(t)->dump, list, count);
}

static int dt_exception(struct kd_target *t, struct kd_stop_event *out)
{
	return kd_dump_exception(impl(t)->dump, out);
}

/* A triage dump keeps the crashing thread's stack without its thread
 * object: the range it saved. */
static int dt_saved_stack(struct kd_target *t, uint64_t *low, uint64_t *high)
{
	struct kd_dump *d = kd_dump_target_dump(t);
	if (!d || !d->triage || !d->stack_size)
		return KD_ENOTFOUND;
	*low = d->top_of_stack;
	*high = d->top_of_stack + d->stack_size;
	return 0;
}

static struct kd_dump *dt_dump_file(struct kd_target *t)
{
	return impl(t)->dump;
}

static const struct kd_target_ops dump_ops = {
	.kind = "dump",
	.close = dt_close,
	.version = dt_version,
	.read_virtual = dt_read_virtual,
	.read_physical = dt_read_physical,
	.get_context = dt_get_context,
	.read_control = dt_read_control,
	.bugcheck = dt_bugcheck,
	.modules = dt_modules,
	.exception = dt_exception,
	.saved_stack = dt_saved_stack,
	.dump_file = dt_dump_file,
};

static int finish(struct dump_target *dt, const uint8_t *bytes, size_t len,
                  struct kd_target **out, char *err, size_t errlen)
{
	dt->target.ops = &dump_ops;
	dt->target.impl = dt;
	int rc = kd_dump_parse(bytes, len, &dt->dump, err, errlen);
	if (rc < 0) {
		dt->dump = NULL;
		dt_close(&dt->target);
		return rc;
	}
	*out = &dt->target;
	return 0;
}

int kd_dump_target_open(const char *path, struct kd_target **out, char *err, size_t errlen)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? KD_ENOTFOUND : KD_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot open %s: not a regular file", path);
		close(fd);
		return KD_EIO;
	}
	struct dump_target *dt = calloc(1, sizeof *dt);
	if (!dt) {
		close(fd);
		snprintf(err, errlen, "out of memory opening %s", path);
		return KD_ENOMEM;
	}
	size_t len = (size_t)st.st_size;
	if (len) {
		void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
			close(fd);
			free(dt);
			return KD_EIO;
		}
		dt->map = m;
		dt->map_len = len;
	}
	close(fd);
	char why[200] = "";
	int rc = finish(dt, dt->map, len, out, why, sizeof why);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

int kd_dump_target_open_buffer(const void *buf, size_t len, struct kd_target **out, char *err, size_t errlen)
{
	*out = NULL;
	struct dump_target *dt = calloc(1, sizeof *dt);
	if (!dt)
		return KD_ENOMEM;
	dt->copy = malloc(len ? len : 1);
	if (!dt->copy) {
		free(dt);
		return KD_ENOMEM;
	}
	if (len)
		memcpy(dt->copy, buf, len);
	return finish(dt, dt->copy, len, out, err, errlen);
}

int kd_dump_is_dump(const void *head, size_t len)
{
	return len >= 8 && (!memcmp(head, "PAGEDU64", 8) || !memcmp(head, "PAGEDUMP", 8));
}

struct kd_dump *kd_dump_target_dump(struct kd_target *t)
{
	/* Through the interface, so a target wrapping a dump (kd
	 * --log-target) still has one. */
	if (!t || !t->ops->dump_file)
		return NULL;
	return t->ops->dump_file(t);
}
