/*
 * mem.c - accounted allocation (see mem.h).
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

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

void *mem_alloc(mem_account_t *acct, size_t n)
{
	void *p;

	if (!mem_account_fits(acct, n)) {
		acct->cap_hits++;
		return NULL;
	}
	p = malloc(n ? n : 1);
	if (!p) {
		acct->failures++;
		return NULL;
	}
	mem_account_charge(acct, n);
	return p;
}

/* calloc, not malloc + memset: large tables come from fresh mappings that the kernel hands out
 * zeroed, so only the pages a table actually uses are ever touched. */
void *mem_calloc(mem_account_t *acct, size_t n)
{
	void *p;

	if (!mem_account_fits(acct, n)) {
		acct->cap_hits++;
		return NULL;
	}
	p = calloc(1, n ? n : 1);
	if (!p) {
		acct->failures++;
		return NULL;
	}
	mem_account_charge(acct, n);
	return p;
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
