/*
 * The engine object (see engine.h): output, the open target, processors,
 * the memory cache, the register-context stack, modules, symbol text,
 * extension slots and command execution.
 */
#include "kd/engine/engine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"


/* The memory cache keeps lines of target memory while the target is
 * stopped. A line records how many of its bytes, from its start, the
 * target could read; beyond that the target said "unreadable". */
#define CACHE_LINE 1024u
#define CACHE_BUCKETS 1024u
#define CACHE_MAX_LINES 65536u

struct cache_line {
	struct cache_line *next;
	uint64_t addr;
	uint32_t valid;
	uint8_t data[CACHE_LINE];
};

struct ext_slot {
	struct ext_slot *next;
	char *key;
	void *ptr;
	void (*free_fn)(void *);
};

struct kd_engine {
	uv_loop_t *loop;
	kd_output_fn out;
	void *out_user;
	kd_output_fn tap;     /* a second sink (.logopen) */
	void *tap_user;
	int cancel;
	int quit;
	kd_command_runner run_command;
	void (*cancel_poll)(void *user);
	void *cancel_poll_user;

	struct kd_target *target;
	struct kd_version version;
	int have_version;
	unsigned cpu;
	unsigned ncpu;
	struct kd_context *cpu_ctx; /* per processor, cached while stopped */
	uint8_t *cpu_ctx_valid;
	struct kd_context override;
	int overridden;
	struct kd_stop_event last_event;

	struct cache_line *cache[CACHE_BUCKETS];
	unsigned cache_lines;

	struct kd_module *modules;
	size_t nmodules, modules_cap;
	struct kd_symbolizer sym;
	int have_sym;

	struct ext_slot *ext;

	/* .process /p: virtual memory through this page directory (0: the
	 * target's own translation). */
	enum kd_paging xlat_mode;
	uint64_t xlat_dtb;
	unsigned runs; /* times the target resumed */
};

struct kd_engine *kd_engine_new(uv_loop_t *loop, kd_output_fn out, void *user)
{
	struct kd_engine *eng = calloc(1, sizeof *eng);
	if (!eng)
		return NULL;
	eng->loop = loop;
	eng->out = out;
	eng->out_user = user;
	return eng;
}

void kd_engine_free(struct kd_engine *eng)
{
	if (!eng)
		return;
	kd_engine_close_target(eng);
	while (eng->ext) {
		struct ext_slot *e = eng->ext;
		eng->ext = e->next;
		if (e->free_fn)
			e->free_fn(e->ptr);
		free(e->key);
		free(e);
	}
	free(eng->modules);
	free(eng);
}

uv_loop_t *kd_engine_loop(struct kd_engine *eng)
{
	return eng->loop;
}

/* --- output ----------------------------------------------------------- */

void kd_output(struct kd_engine *eng, enum kd_output_kind kind, const char *text)
{
	if (eng->out)
		eng->out(eng->out_user, kind, text);
	if (eng->tap)
		eng->tap(eng->tap_user, kind, text);
}

void kd_engine_set_output_tap(struct kd_engine *eng, kd_output_fn tap, void *user)
{
	eng->tap = tap;
	eng->tap_user = user;
}

void kd_engine_echo(struct kd_engine *eng, const char *text)
{
	if (eng->tap)
		eng->tap(eng->tap_user, KD_OUTPUT_NORMAL, text);
}

void kd_vprintf_kind(struct kd_engine *eng, enum kd_output_kind kind, const char *fmt, va_list ap)
{
	char small[512];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		kd_output(eng, kind, small);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	kd_output(eng, kind, big);
	free(big);
}

void kd_printf(struct kd_engine *eng, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_vprintf_kind(eng, KD_OUTPUT_NORMAL, fmt, ap);
	va_end(ap);
}

void kd_eprintf(struct kd_engine *eng, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kd_vprintf_kind(eng, KD_OUTPUT_ERROR, fmt, ap);
	va_end(ap);
}

void kd_engine_set_cancel(struct kd_engine *eng, int cancel)
{
	eng->cancel = cancel;
}

int kd_engine_canceled(struct kd_engine *eng)
{
	if (!eng->cancel && eng->cancel_poll)
		eng->cancel_poll(eng->cancel_poll_user);
	return eng->cancel;
}

void kd_engine_set_cancel_poll(struct kd_engine *eng, void (*poll)(void *user), void *user)
{
	eng->cancel_poll = poll;
	eng->cancel_poll_user = user;
}

/* --- extension slots ---------------------------------------------------- */

int kd_engine_set_ext(struct kd_engine *eng, const char *key, void *ptr, void (*free_fn)(void *))
{
	for (struct ext_slot *e = eng->ext; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			if (e->free_fn && e->ptr != ptr)
				e->free_fn(e->ptr);
			e->ptr = ptr;
			e->free_fn = free_fn;
			return 0;
		}
	}
	struct ext_slot *e = calloc(1, sizeof *e);
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return KD_ENOMEM;
	}
	e->ptr = ptr;
	e->free_fn = free_fn;
	e->next = eng->ext;
	eng->ext = e;
	return 0;
}

void *kd_engine_ext(struct kd_engine *eng, const char *key)
{
	for (struct ext_slot *e = eng->ext; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e->ptr;
	return NULL;
}

void *kd_engine_ext_zalloc(struct kd_engine *eng, const char *key, size_t size)
{
	void *p = kd_engine_ext(eng, key);
	if (p)
		return p;
	p = calloc(1, size);
	if (p && kd_engine_set_ext(eng, key, p, free) < 0) {
		free(p);
		p = NULL;
	}
	return p;
}

/* --- target and processors -------------------------------------------- */

static void drop_contexts(struct kd_engine *eng)
{
	if (eng->cpu_ctx_valid)
		memset(eng->cpu_ctx_valid, 0, eng->ncpu);
	eng->overridden = 0;
}

static int size_processors(struct kd_engine *eng, unsigned n)
{
	if (n == 0)
		n = 1;
	if (n == eng->ncpu && eng->cpu_ctx)
		return 0;
	struct kd_context *ctx = calloc(n, sizeof *ctx);
	uint8_t *valid = calloc(n, 1);
	if (!ctx || !valid) {
		free(ctx);
		free(valid);
		return KD_ENOMEM;
	}
	free(eng->cpu_ctx);
	free(eng->cpu_ctx_valid);
	eng->cpu_ctx = ctx;
	eng->cpu_ctx_valid = valid;
	eng->ncpu = n;
	if (eng->cpu >= n)
		eng->cpu = 0;
	return 0;
}

int kd_engine_open_target(struct kd_engine *eng, struct kd_target *t)
{
	/* Modules a live target reported before it was opened stay. */
	if (eng->target)
		kd_engine_close_target(eng);
	eng->target = t;
	eng->cpu = 0;
	int rc = 0;
	if (t->ops->version)
		rc = t->ops->version(t, &eng->version);
	eng->have_version = rc == 0;
	rc = size_processors(eng, eng->have_version ? eng->version.processors : 1);
	if (rc < 0)
		return rc;
	if (t->ops->modules) {
		struct kd_module *list = NULL;
		size_t n = 0;
		if (t->ops->modules(t, &list, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				kd_engine_module_add(eng, &list[i]);
		}
		free(list);
	}
	return 0;
}

struct kd_target *kd_engine_target(struct kd_engine *eng)
{
	return eng->target;
}

void kd_engine_close_target(struct kd_engine *eng)
{
	if (eng->target) {
		eng->target->ops->close(eng->target);
		eng->target = NULL;
	}
	kd_memory_cache_flush(eng);
	free(eng->cpu_ctx);
	free(eng->cpu_ctx_valid);
	eng->cpu_ctx = NULL;
	eng->cpu_ctx_valid = NULL;
	eng->ncpu = 0;
	eng->overridden = 0;
	eng->have_version = 0;
	eng->xlat_dtb = 0;
	eng->runs++;
	kd_engine_module_clear(eng);
}

int kd_engine_version(struct kd_engine *eng, struct kd_version *out)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (!eng->have_version) {
		if (!eng->target->ops->version)
			return KD_ENOTSUP;
		int rc = eng->target->ops->version(eng->target, &eng->version);
		if (rc < 0)
			return rc;
		eng->have_version = 1;
		size_processors(eng, eng->version.processors);
	}
	*out = eng->version;
	return 0;
}

enum kd_machine kd_engine_machine(struct kd_engine *eng)
{
	struct kd_version v;
	return kd_engine_version(eng, &v) == 0 ? v.machine : KD_MACHINE_UNKNOWN;
}

int kd_engine_is_64bit(struct kd_engine *eng)
{
	return kd_engine_machine(eng) == KD_MACHINE_AMD64;
}

unsigned kd_engine_pointer_size(struct kd_engine *eng)
{
	return kd_engine_is_64bit(eng) ? 8 : 4;
}

unsigned kd_engine_cpu(struct kd_engine *eng)
{
	return eng->cpu;
}

unsigned kd_engine_cpu_count(struct kd_engine *eng)
{
	return eng->ncpu;
}

int kd_engine_set_cpu(struct kd_engine *eng, unsigned cpu)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (cpu >= eng->ncpu)
		return KD_EINVAL;
	eng->cpu = cpu;
	eng->overridden = 0;
	return 0;
}

void kd_engine_target_stopped(struct kd_engine *eng, const struct kd_stop_event *ev)
{
	eng->last_event = *ev;
	if (ev->processor < eng->ncpu)
		eng->cpu = ev->processor;
}

void kd_engine_target_resumed(struct kd_engine *eng)
{
	eng->xlat_dtb = 0;
	eng->runs++;
	kd_memory_cache_flush(eng);
	drop_contexts(eng);
}

void kd_engine_target_lost(struct kd_engine *eng)
{
	kd_engine_target_resumed(eng);
	memset(&eng->last_event, 0, sizeof eng->last_event);
}

unsigned kd_engine_run_count(struct kd_engine *eng)
{
	return eng->runs;
}

const struct kd_stop_event *kd_engine_last_event(struct kd_engine *eng)
{
	return &eng->last_event;
}

/* --- memory ------------------------------------------------------------ */

void kd_memory_cache_flush(struct kd_engine *eng)
{
	for (unsigned b = 0; b < CACHE_BUCKETS; b++) {
		while (eng->cache[b]) {
			struct cache_line *l = eng->cache[b];
			eng->cache[b] = l->next;
			free(l);
		}
	}
	eng->cache_lines = 0;
}

static unsigned bucket_of(uint64_t line_addr)
{
	return (unsigned)((line_addr / CACHE_LINE) * 0x9e3779b1u) % CACHE_BUCKETS;
}

static struct cache_line *cache_find(struct kd_engine *eng, uint64_t line_addr)
{
	for (struct cache_line *l = eng->cache[bucket_of(line_addr)]; l; l = l->next)
		if (l->addr == line_addr)
			return l;
	return NULL;
}

static struct cache_line *cache_insert(struct kd_engine *eng, uint64_t line_addr)
{
	if (eng->cache_lines >= CACHE_MAX_LINES)
		kd_memory_cache_flush(eng);
	struct cache_line *l = malloc(sizeof *l);
	if (!l)
		return NULL;
	l->addr = line_addr;
	l->valid = 0;
	unsigned b = bucket_of(line_addr);
	l->next = eng->cache[b];
	eng->cache[b] = l;
	eng->cache_lines++;
	return l;
}

/* Fetch `nlines` uncached lines from line_addr in one target read (the
 * target splits it into packets) and cache what came back. */
static int cache_fill(struct kd_engine *eng, uint64_t line_addr, unsigned nlines)
{
	uint32_t len = nlines * CACHE_LINE;
	uint8_t *buf = malloc(len);
	if (!buf)
		return KD_ENOMEM;
	uint32_t done = 0;
	int rc = eng->target->ops->read_virtual(eng->target, line_addr, buf, len, &done);
	if (rc < 0 && rc != KD_EUNREADABLE) {
		free(buf);
		return rc;
	}
	if (rc < 0)
		done = 0;
	for (unsigned i = 0; i < nlines; i++) {
		uint32_t start = i * CACHE_LINE;
		struct cache_line *l = cache_insert(eng, line_addr + start);
		if (!l)
			break;
		l->valid = done > start ? (done - start > CACHE_LINE ? CACHE_LINE : done - start) : 0;
		memcpy(l->data, buf + start, l->valid);
		if (l->valid < CACHE_LINE)
			break; /* later lines are unknown, not unreadable */
	}
	free(buf);
	return 0;
}

static int xlat_phys_read(void *ctx, uint64_t pa, void *buf, uint32_t len)
{
	size_t d = 0;
	int rc = kd_read_physical(ctx, pa, buf, len, &d);
	return rc < 0 ? rc : d == len ? 0 : KD_EUNREADABLE;
}

/* Virtual memory under the implicit process's page tables: translate each
 * page and move it through physical memory. */
static int translated_access(struct kd_engine *eng, uint64_t addr, void *rbuf, const void *wbuf,
                             size_t len, size_t *done)
{
	size_t got = 0;
	int rc = 0;
	while (got < len) {
		uint64_t va = addr + got;
		struct kd_vtop_walk w;
		if ((rc = kd_vtop(eng->xlat_mode, eng->xlat_dtb, va, xlat_phys_read, eng, &w)) < 0)
			break;
		size_t chunk = 0x1000 - (size_t)(va & 0xfff);
		if (chunk > len - got)
			chunk = len - got;
		size_t d = 0;
		rc = rbuf ? kd_read_physical(eng, w.pa, (uint8_t *)rbuf + got, chunk, &d)
		          : kd_write_physical(eng, w.pa, (const uint8_t *)wbuf + got, chunk, &d);
		got += d;
		if (rc < 0 || d < chunk)
			break;
	}
	if (done)
		*done = got;
	return got ? 0 : rc < 0 ? rc : KD_EUNREADABLE;
}

void kd_engine_set_translation(struct kd_engine *eng, enum kd_paging mode, uint64_t dtb)
{
	eng->xlat_mode = mode;
	eng->xlat_dtb = dtb;
	kd_memory_cache_flush(eng);
}

uint64_t kd_engine_translation(struct kd_engine *eng)
{
	return eng->xlat_dtb;
}

int kd_read_virtual(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *done)
{
	size_t got = 0;
	if (done)
		*done = 0;
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (eng->xlat_dtb)
		return translated_access(eng, addr, buf, NULL, len, done);
	if (!eng->target->ops->read_virtual)
		return KD_ENOTSUP;
	uint8_t *out = buf;
	while (got < len) {
		uint64_t a = addr + got;
		uint64_t line_addr = a & ~(uint64_t)(CACHE_LINE - 1);
		struct cache_line *l = cache_find(eng, line_addr);
		if (!l) {
			/* Fetch this and every following missing line of the request
			 * at once, so large reads use full packets. */
			uint64_t end = addr + len;
			unsigned n = 1;
			while (line_addr + (uint64_t)n * CACHE_LINE < end && n < 1024 &&
			       !cache_find(eng, line_addr + (uint64_t)n * CACHE_LINE))
				n++;
			int rc = cache_fill(eng, line_addr, n);
			if (rc < 0)
				return rc;
			l = cache_find(eng, line_addr);
			if (!l)
				return KD_ENOMEM;
		}
		uint32_t off = (uint32_t)(a - line_addr);
		if (off >= l->valid) {
			/* The whole line did not read; the bytes asked for may
			 * (a target that answers only what it recorded). */
			uint32_t want = CACHE_LINE - off < len - got ? CACHE_LINE - off : (uint32_t)(len - got);
			uint32_t d = 0;
			if (eng->target->ops->read_virtual(eng->target, a, out + got, want, &d) < 0 || d == 0)
				break;
			got += d;
			if (d < want)
				break;
			continue;
		}
		size_t n = l->valid - off;
		if (n > len - got)
			n = len - got;
		memcpy(out + got, l->data + off, n);
		got += n;
	}
	if (done)
		*done = got;
	if (got == 0 && len > 0)
		return KD_EUNREADABLE;
	return 0;
}

int kd_write_virtual(struct kd_engine *eng, uint64_t addr, const void *buf, size_t len, size_t *done)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (eng->xlat_dtb)
		return translated_access(eng, addr, NULL, buf, len, done);
	if (!eng->target->ops->write_virtual)
		return KD_ENOTSUP;
	uint32_t d = 0;
	int rc = eng->target->ops->write_virtual(eng->target, addr, buf, (uint32_t)len, &d);
	kd_memory_cache_flush(eng);
	if (done)
		*done = d;
	return rc;
}

int kd_read_physical(struct kd_engine *eng, uint64_t addr, void *buf, size_t len, size_t *done)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (!eng->target->ops->read_physical)
		return KD_ENOTSUP;
	uint32_t d = 0;
	int rc = eng->target->ops->read_physical(eng->target, addr, buf, (uint32_t)len, &d);
	if (done)
		*done = d;
	if (rc == 0 && d == 0 && len > 0)
		return KD_EUNREADABLE;
	return rc;
}

int kd_write_physical(struct kd_engine *eng, uint64_t addr, const void *buf, size_t len, size_t *done)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (!eng->target->ops->write_physical)
		return KD_ENOTSUP;
	uint32_t d = 0;
	int rc = eng->target->ops->write_physical(eng->target, addr, buf, (uint32_t)len, &d);
	kd_memory_cache_flush(eng);
	if (done)
		*done = d;
	return rc;
}

int kd_read_pointer(struct kd_engine *eng, uint64_t addr, uint64_t *value)
{
	unsigned ps = kd_engine_pointer_size(eng);
	uint8_t b[8] = {0};
	size_t done = 0;
	int rc = kd_read_virtual(eng, addr, b, ps, &done);
	if (rc < 0)
		return rc;
	if (done < ps)
		return KD_EUNREADABLE;
	uint64_t v = 0;
	for (unsigned i = 0; i < ps; i++)
		v |= (uint64_t)b[i] << (8 * i);
	*value = v;
	return 0;
}

/* --- register context ------------------------------------------------- */

int kd_get_cpu_context(struct kd_engine *eng, unsigned cpu, struct kd_context *out)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (!eng->target->ops->get_context)
		return KD_ENOTSUP;
	if (cpu >= eng->ncpu)
		return KD_EINVAL;
	if (!eng->cpu_ctx_valid[cpu]) {
		int rc = eng->target->ops->get_context(eng->target, cpu, &eng->cpu_ctx[cpu]);
		if (rc < 0)
			return rc;
		eng->cpu_ctx_valid[cpu] = 1;
	}
	*out = eng->cpu_ctx[cpu];
	return 0;
}

int kd_get_context(struct kd_engine *eng, struct kd_context *out)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (eng->overridden) {
		*out = eng->override;
		return 0;
	}
	return kd_get_cpu_context(eng, eng->cpu, out);
}

int kd_set_context(struct kd_engine *eng, const struct kd_context *ctx)
{
	if (!eng->target)
		return KD_EDISCONNECTED;
	if (eng->overridden) {
		eng->override = *ctx;
		return 0;
	}
	if (!eng->target->ops->set_context)
		return KD_ENOTSUP;
	int rc = eng->target->ops->set_context(eng->target, eng->cpu, ctx);
	if (rc == 0) {
		eng->cpu_ctx[eng->cpu] = *ctx;
		eng->cpu_ctx_valid[eng->cpu] = 1;
	}
	return rc;
}

void kd_context_override(struct kd_engine *eng, const struct kd_context *ctx)
{
	eng->override = *ctx;
	eng->overridden = KD_OVERRIDE_CONTEXT;
}

void kd_context_override_task(struct kd_engine *eng, const struct kd_context *ctx)
{
	eng->override = *ctx;
	eng->overridden = KD_OVERRIDE_TASK;
}

void kd_context_reset(struct kd_engine *eng)
{
	eng->overridden = 0;
}

int kd_context_is_overridden(struct kd_engine *eng)
{
	return eng->overridden;
}

/* --- modules and symbols ---------------------------------------------- */

size_t kd_engine_module_count(struct kd_engine *eng)
{
	return eng->nmodules;
}

const struct kd_module *kd_engine_module(struct kd_engine *eng, size_t i)
{
	return i < eng->nmodules ? &eng->modules[i] : NULL;
}

const struct kd_module *kd_engine_module_by_addr(struct kd_engine *eng, uint64_t addr)
{
	for (size_t i = 0; i < eng->nmodules; i++) {
		const struct kd_module *m = &eng->modules[i];
		if (addr >= m->base && addr - m->base < m->size)
			return m;
	}
	return NULL;
}

const struct kd_module *kd_engine_module_by_name(struct kd_engine *eng, const char *name)
{
	for (size_t i = 0; i < eng->nmodules; i++)
		if (strcasecmp(eng->modules[i].name, name) == 0)
			return &eng->modules[i];
	return NULL;
}

int kd_engine_module_add(struct kd_engine *eng, const struct kd_module *m)
{
	for (size_t i = 0; i < eng->nmodules; i++) {
		if (eng->modules[i].base == m->base) {
			eng->modules[i] = *m;
			return 0;
		}
	}
	if (KD_ARRAY_RESERVE(eng->modules, eng->modules_cap, eng->nmodules + 1) < 0)
		return KD_ENOMEM;
	eng->modules[eng->nmodules++] = *m;
	return 0;
}

void kd_engine_module_remove(struct kd_engine *eng, uint64_t base)
{
	for (size_t i = 0; i < eng->nmodules; i++) {
		if (eng->modules[i].base == base) {
			memmove(&eng->modules[i], &eng->modules[i + 1],
			        (eng->nmodules - i - 1) * sizeof eng->modules[0]);
			eng->nmodules--;
			return;
		}
	}
}

void kd_engine_module_clear(struct kd_engine *eng)
{
	eng->nmodules = 0;
}

void kd_engine_set_symbolizer(struct kd_engine *eng, const struct kd_symbolizer *s)
{
	if (s) {
		eng->sym = *s;
		eng->have_sym = 1;
	} else {
		eng->have_sym = 0;
	}
}

int kd_format_symbol(struct kd_engine *eng, uint64_t addr, char *buf, size_t n)
{
	const struct kd_module *m = kd_engine_module_by_addr(eng, addr);
	if (!m) {
		if (n)
			buf[0] = '\0';
		return KD_ENOTFOUND;
	}
	char name[512];
	uint64_t disp = 0;
	if (eng->have_sym && eng->sym.addr_to_name &&
	    eng->sym.addr_to_name(eng->sym.ctx, m, addr, name, sizeof name, &disp) == 0) {
		if (disp)
			snprintf(buf, n, "%s!%s+0x%llx", m->name, name, (unsigned long long)disp);
		else
			snprintf(buf, n, "%s!%s", m->name, name);
		return 0;
	}
	if (addr == m->base)
		snprintf(buf, n, "%s", m->name);
	else
		snprintf(buf, n, "%s+0x%llx", m->name, (unsigned long long)(addr - m->base));
	return 0;
}

int kd_resolve_symbol(struct kd_engine *eng, const char *name, uint64_t *addr)
{
	const char *bang = strchr(name, '!');
	if (bang) {
		char mod[64];
		size_t ml = (size_t)(bang - name);
		if (ml >= sizeof mod)
			return KD_ENOTFOUND;
		memcpy(mod, name, ml);
		mod[ml] = '\0';
		const struct kd_module *m = kd_engine_module_by_name(eng, mod);
		if (!m)
			return KD_ENOTFOUND;
		if (!bang[1]) {
			*addr = m->base;
			return 0;
		}
		if (eng->have_sym && eng->sym.name_to_addr)
			return eng->sym.name_to_addr(eng->sym.ctx, m, bang + 1, addr);
		return KD_ENOTFOUND;
	}
	const struct kd_module *m = kd_engine_module_by_name(eng, name);
	if (m) {
		*addr = m->base;
		return 0;
	}
	if (eng->have_sym && eng->sym.name_to_addr)
		return eng->sym.name_to_addr(eng->sym.ctx, NULL, name, addr);
	return KD_ENOTFOUND;
}

const char *kd_format_addr(struct kd_engine *eng, uint64_t addr, char buf[20])
{
	if (kd_engine_is_64bit(eng))
		snprintf(buf, 20, "%08x`%08x", (unsigned)(addr >> 32), (unsigned)addr);
	else
		snprintf(buf, 20, "%08x", (unsigned)addr);
	return buf;
}

const char *kd_format_ptr(struct kd_engine *eng, uint64_t addr, char buf[20])
{
	if (kd_engine_is_64bit(eng))
		snprintf(buf, 20, "%016llx", (unsigned long long)addr);
	else
		snprintf(buf, 20, "%08x", (unsigned)addr);
	return buf;
}

/* --- commands ---------------------------------------------------------- */

void kd_engine_set_command_runner(struct kd_engine *eng, kd_command_runner run)
{
	eng->run_command = run;
}

int kd_engine_run_command(struct kd_engine *eng, const char *line)
{
	return eng->run_command ? eng->run_command(eng, line) : KD_ENOTSUP;
}

int kd_engine_quit_requested(struct kd_engine *eng)
{
	return eng->quit;
}

void kd_engine_request_quit(struct kd_engine *eng)
{
	eng->quit = 1;
}

