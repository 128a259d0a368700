/*
 * CodeView type records of a PDB's TPI stream: random access by type
 * index, lookup of a structure, union, class or enum by name through the
 * stream's own hash, forward references resolved to their definitions,
 * sizes, field lists (members, bases, enumerates) and WinDbg's type names
 * ("Ptr64 _LIST_ENTRY", "Uint4B", "[16] Char", "Pos 3, 1 Bit").
 */
#ifndef KD_SYMBOLS_TYPES_H
#define KD_SYMBOLS_TYPES_H

#include <stddef.h>
#include <stdint.h>

struct kd_types;
struct kd_pdb;

enum kd_type_kind {
	KD_TYPE_NONE,
	KD_TYPE_BASE,     /* integers, floats, chars, void */
	KD_TYPE_POINTER,
	KD_TYPE_STRUCT,   /* struct, class, interface */
	KD_TYPE_UNION,
	KD_TYPE_ENUM,
	KD_TYPE_ARRAY,
	KD_TYPE_BITFIELD,
	KD_TYPE_FUNCTION,
};

enum kd_base_class {
	KD_BASE_VOID,
	KD_BASE_SIGNED,
	KD_BASE_UNSIGNED,
	KD_BASE_CHAR,      /* shown as a character too */
	KD_BASE_WCHAR,
	KD_BASE_BOOL,
	KD_BASE_FLOAT,
};

struct kd_type_info {
	enum kd_type_kind kind;
	uint32_t index;        /* after modifiers and forward references */
	const char *name;      /* structs, unions, enums ("" otherwise) */
	uint64_t size;         /* bytes (bitfields: of the underlying type) */
	enum kd_base_class base;
	uint32_t target;       /* pointee, array element, bitfield/enum underlying */
	uint32_t fields;       /* field list of structs, unions and enums */
	uint8_t bit_pos, bit_len;
	int is_const;
	int forward;           /* a declaration whose definition was not found */
};

struct kd_type_field {
	const char *name;
	uint64_t offset;       /* members and bases */
	uint32_t type;
	int is_base;           /* a base class (LF_BCLASS) */
	int is_static;         /* static members have no offset */
	int64_t value;         /* enumerates */
};

int kd_types_open(struct kd_pdb *pdb, struct kd_types **out);
void kd_types_close(struct kd_types *t);
/* Number of records, and the first index (0x1000). */
uint32_t kd_types_count(const struct kd_types *t);
uint32_t kd_types_first(const struct kd_types *t);
/* 8 for 64-bit images (pointer modes tell), else 4. */
void kd_types_set_pointer_size(struct kd_types *t, unsigned size);

/* A complete struct/class/union/enum named `name`. */
int kd_types_find(struct kd_types *t, const char *name, uint32_t *index);
int kd_types_get(struct kd_types *t, uint32_t index, struct kd_type_info *out);
/* WinDbg's dt text for a type. */
int kd_types_name(struct kd_types *t, uint32_t index, char *buf, size_t n);
/* Members (and base classes) of a struct/union, enumerates of an enum,
 * in declaration order; fn returns nonzero to stop. */
int kd_types_fields(struct kd_types *t, uint32_t index,
                    int (*fn)(void *ctx, const struct kd_type_field *f), void *ctx);
/* The enumerate of enum `index` with value v, NULL when none. */
const char *kd_types_enum_name(struct kd_types *t, uint32_t index, int64_t v);
/* C-style type text as `x` shows parameters ("char **", "struct _X *"). */
int kd_types_c_name(struct kd_types *t, uint32_t index, char *buf, size_t n);
/* "(int, char **)" for a procedure type, "(void)" without parameters. */
int kd_types_params(struct kd_types *t, uint32_t proc, char *buf, size_t n);

/* Raw record access for tests: the leaf kind and bytes after it. */
int kd_types_record(struct kd_types *t, uint32_t index, uint16_t *kind, const uint8_t **data, size_t *len);

#endif
