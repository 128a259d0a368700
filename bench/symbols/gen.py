#!/usr/bin/env python3
"""Writes a C file with N structs and N functions (each function uses its
struct, so the compiler emits the type), for a large PDB from clang-cl and
lld-link. Usage: gen.py N OUT.c"""
import sys

n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write(f"struct S{i} {{ int a{i}; unsigned long long b; struct S{i} *next; "
                f"char name[{8 + i % 24}]; unsigned flags : {1 + i % 7}; double d; }};\n")
    for i in range(n):
        f.write(f"__declspec(noinline) int fn_{i}(struct S{i} *p) "
                f"{{ return p->a{i} + (int)p->b + (p->next ? {i} : 0) + p->flags; }}\n")
    f.write("int main(void) { int r = 0;\n")
    for i in range(n):
        f.write(f" r += fn_{i}((struct S{i} *)0);\n")
    f.write(" return r; }\n")
