/*
 * The breakpoint table: what bp, bu, bm and ba set, as data. Ids, the
 * location as typed and where it resolved, pass counts, command strings,
 * one-shot breakpoints and the hardware ones' access and size; the parsers
 * of the commands' arguments and of id lists ("*", "1 3", "2-5"); the bl
 * line; and the debug-register encoding (Dr7) of the hardware slots.
 *
 * Nothing here talks to a target: kd/engine/stepping.c inserts the table's
 * breakpoints when the target resumes and removes them when it stops, as
 * WinDbg does, so target memory holds none of kd's breakpoint bytes while
 * the user can look at it.
 */
#ifndef KD_ENGINE_BREAKPOINTS_H
#define KD_ENGINE_BREAKPOINTS_H

#include <stddef.h>
#include <stdint.h>

#define KD_BP_MAX_ID 1023u       /* ids run 0..KD_BP_MAX_ID */
#define KD_BP_HW_SLOTS 4u        /* Dr0..Dr3 */

enum kd_bp_kind {
	KD_BP_SOFTWARE, /* bp, bu, bm: the target's write-breakpoint API */
	KD_BP_HARDWARE, /* ba: a debug register on every processor */
};

struct kd_bp {
	unsigned id;
	enum kd_bp_kind kind;
	int enabled;
	int deferred;          /* bu: resolved again from expr as modules come and go */
	int resolved;          /* addr is valid */
	uint64_t addr;
	char expr[256];        /* the location as typed ("nt!Foo", "fffff800`1000") */
	uint32_t passes;       /* pass count as set (1: every hit stops) */
	uint32_t passes_left;  /* hits to go before the next stop */
	int oneshot;           /* /1: deleted once hit */
	char command[512];     /* run when hit ("r eax; g"), "" when none */
	char condition[256];   /* /w: stop only when this is nonzero, "" always */
	char access;           /* ba: 'e' execute, 'r' read/write, 'w' write, 'i' I/O */
	unsigned size;         /* ba: 1, 2, 4 or 8 bytes */
};

struct kd_bp_table {
	struct kd_bp *v;       /* sorted by id */
	size_t n, cap;
};

void kd_bp_table_init(struct kd_bp_table *t);
void kd_bp_table_free(struct kd_bp_table *t);

/* Add a copy of *b with the lowest free id (b->id ignored unless
 * want_id is set, then that id, replacing a breakpoint that had it).
 * Returns the table's entry (valid until the next add or delete), or
 * NULL when out of ids or memory. */
struct kd_bp *kd_bp_add(struct kd_bp_table *t, const struct kd_bp *b, int want_id);
struct kd_bp *kd_bp_find(struct kd_bp_table *t, unsigned id);
/* The enabled or disabled breakpoint of this kind at addr, or NULL. */
struct kd_bp *kd_bp_at(struct kd_bp_table *t, enum kd_bp_kind kind, uint64_t addr);
int kd_bp_delete(struct kd_bp_table *t, unsigned id);
/* Hardware breakpoints that are enabled and resolved. */
unsigned kd_bp_hw_count(const struct kd_bp_table *t);

/* An id list as bc/bd/be/bl take it: "*", ids separated by spaces or
 * commas, ranges "2-5". sel[id] is set to 1 for each id named (sel has
 * KD_BP_MAX_ID + 1 entries, cleared by the caller). Returns the number of
 * entries named, or KD_EINVAL with *bad pointing at the bad text. */
int kd_bp_parse_ids(const char *spec, uint8_t *sel, const char **bad);

/* The arguments of bp/bu/bm/ba split into their parts (no evaluation):
 *   bp [/1] [Address [Passes]] ["CommandString"]
 *   ba [/1] Access Size [Address [Passes]] ["CommandString"]
 * /w "Condition" makes the breakpoint conditional; /p /t /c /C and their
 * values are accepted and ignored. */
struct kd_bp_args {
	int oneshot;
	char access;         /* ba only */
	unsigned size;       /* ba only */
	char addr[256];      /* "" when not given */
	char passes[64];     /* "" when not given */
	char command[512];   /* "" when not given */
	int has_command;
	char condition[256]; /* /w "Condition", "" when not given */
};
/* is_ba selects the ba form. On error returns KD_EINVAL and puts a
 * one-line reason in err. */
int kd_bp_parse_args(const char *args, int is_ba, struct kd_bp_args *out, char *err, size_t errlen);

/* A breakpoint's command string after a hit, split as kd runs it:
 *   - "j Expression A ; B" (A and B optionally in single quotes): *is_j
 *     set, expr/a/b filled, the caller evaluates and runs one of them;
 *   - otherwise a trailing top-level "g", "gc", "gh" or "gn" is cut off
 *     into *go ("" when none), the rest left in `a`, so a logging
 *     breakpoint ("r eax; g") goes on without nesting one run in another.
 * Returns 0, or KD_EINVAL when a part does not fit. */
struct kd_bp_cmd {
	int is_j;
	char expr[256];
	char a[512];
	char b[512];
	char go[4];
};
int kd_bp_split_command(const char *cmd, struct kd_bp_cmd *out);

/* The bl line of b (no newline), WinDbg's kernel-mode layout:
 *   "     0 e Disable Clear  fffff800`12345678     0001 (0001) nt!Foo"
 * is64 selects the address width; sym is the symbol of the address (or
 * "" for none). */
void kd_bp_format(const struct kd_bp *b, int is64, const char *sym, char *buf, size_t n);

/* Dr7 for hardware breakpoints in slots[0..3] (NULL: slot unused):
 * local-enable bit, R/W and LEN fields per slot, as the processor wants
 * them (Intel SDM vol. 3, 17.2.4). */
uint64_t kd_bp_dr7(const struct kd_bp *const slots[KD_BP_HW_SLOTS]);

/* Checks a ba request: access/size combination and alignment. Returns 0
 * or KD_EINVAL with a one-line reason. */
int kd_bp_check_hw(char access, unsigned size, uint64_t addr, char *err, size_t errlen);

#endif
