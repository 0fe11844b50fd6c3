/*
 * mem.h - accounted allocation.
 *
 * Every allocation of the sensor goes through these wrappers with the account of the subsystem
 * that owns it. An account knows its bytes in use, its peak and an optional cap; the caps are
 * the memcaps of flows, reassembly and defragmentation, and the figures feed the stats event.
 * An account belongs to one pipeline (one thread): no locking, no atomics.
 *
 * Frees take the size that was allocated: the owners (pools, buffers) always know it, and it
 * keeps the accounting exact without a header per block.
 */
#ifndef APIWATCH_MEM_H
#define APIWATCH_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct mem_account {
	const char *name; /* subsystem name as written in stats ("flow") */
	uint64_t in_use; /* bytes currently allocated */
	uint64_t peak; /* highest in_use seen */
	uint64_t cap; /* 0 = no cap; else allocations past it fail */
	uint64_t cap_hits; /* allocations refused because of the cap */
	uint64_t failures; /* allocations refused by the system allocator */
} mem_account_t;

/* Sets up an account; cap 0 means unlimited. */
void mem_account_init(mem_account_t *acct, const char *name, uint64_t cap);

/* True when n more bytes fit under the account's cap (no allocation is made). */
int mem_account_fits(const mem_account_t *acct, size_t n);

/* Allocates n bytes (zeroed by mem_calloc) charged to acct; NULL when the cap or the system
 * refuses, which is counted in the account. */
void *mem_alloc(mem_account_t *acct, size_t n);
void *mem_calloc(mem_account_t *acct, size_t n);

/*
 * Tables read at random (hash tables, the pools behind them): n bytes, zeroed, page-aligned,
 * charged n bytes, from a mapping of their own. From MEM_TABLE_HUGE bytes on, the mapping is
 * rounded up to and aligned on 2 MiB and asks for transparent huge pages: one TLB entry then
 * covers 2 MiB of the table instead of 4 KiB, and the first touch of that much faults once
 * instead of 512 times. mem_table_free takes the same n.
 */
#define MEM_TABLE_HUGE (512u << 10)
void *mem_table_alloc(mem_account_t *acct, size_t n);
void mem_table_free(mem_account_t *acct, void *p, size_t n);

/* Grows or shrinks a block from old_n to new_n bytes; on failure the old block is untouched. */
void *mem_realloc(mem_account_t *acct, void *p, size_t old_n, size_t new_n);

/* Frees a block of n bytes; NULL is accepted. */
void mem_free(mem_account_t *acct, void *p, size_t n);

/* Charges or releases bytes allocated elsewhere (by a library) to an account. */
void mem_account_charge(mem_account_t *acct, size_t n);
void mem_account_release(mem_account_t *acct, size_t n);

#endif
