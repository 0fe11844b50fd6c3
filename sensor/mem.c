/*
 * mem.c - accounted allocation (see mem.h).
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#define MEM_HUGE_MIN (2u << 20) /* smaller blocks keep 4 KiB pages: their RSS stays small */

void mem_account_init(mem_account_t *acct, const char *name, uint64_t cap)
{
	memset(acct, 0, sizeof(*acct));
	acct->name = name;
	acct->cap = cap;
}

int mem_account_fits(const mem_account_t *acct, size_t n)
{
	return acct->cap == 0 || acct->in_use + n <= acct->cap;
}

void mem_account_charge(mem_account_t *acct, size_t n)
{
	acct->in_use += n;
	if (acct->in_use > acct->peak)
		acct->peak = acct->in_use;
}

void mem_account_release(mem_account_t *acct, size_t n)
{
	acct->in_use = n > acct->in_use ? 0 : acct->in_use - n;
}

/* Large tables (hash tables and pools read at random, one line per lookup) ask for
 * transparent huge pages: a TLB entry then covers 2 MiB instead of 4 KiB, and a first touch
 * faults once per 2 MiB. Only the 2 MiB-aligned part of the block can be backed so. */
static void mem_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);

	if (n >= MEM_HUGE_MIN && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

/* n bytes charged to acct, zeroed (calloc, for tables: huge pages when large) or not. */
static void *mem_get(mem_account_t *acct, size_t n, int zero)
{
	void *p;

	if (!mem_account_fits(acct, n)) {
		acct->cap_hits++;
		return NULL;
	}
	p = zero ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
	if (!p) {
		acct->failures++;
		return NULL;
	}
	mem_account_charge(acct, n);
	if (zero)
		mem_huge(p, n);
	return p;
}

void *mem_alloc(mem_account_t *acct, size_t n)
{
	return mem_get(acct, n, 0);
}

/* calloc, not malloc + memset: large tables come from fresh mappings that the kernel hands out
 * zeroed, so only the pages a table actually uses are ever touched. */
void *mem_calloc(mem_account_t *acct, size_t n)
{
	return mem_get(acct, n, 1);
}

void *mem_realloc(mem_account_t *acct, void *p, size_t old_n, size_t new_n)
{
	void *q;

	if (new_n > old_n && !mem_account_fits(acct, new_n - old_n)) {
		acct->cap_hits++;
		return NULL;
	}
	q = realloc(p, new_n ? new_n : 1);
	if (!q) {
		acct->failures++;
		return NULL;
	}
	mem_account_release(acct, old_n);
	mem_account_charge(acct, new_n);
	return q;
}

void mem_free(mem_account_t *acct, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	mem_account_release(acct, n);
}
