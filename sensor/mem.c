/*
 * mem.c - accounted allocation (see mem.h).
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

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

/* n bytes charged to acct, zeroed (calloc) or not. */
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
	return p;
}

void *mem_alloc(mem_account_t *acct, size_t n)
{
	return mem_get(acct, n, 0);
}

void *mem_calloc(mem_account_t *acct, size_t n)
{
	return mem_get(acct, n, 1);
}

#if defined(__SANITIZE_ADDRESS__)
#define MEM_TABLE_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_TABLE_HEAP 1
#endif
#endif

/* What a table of n bytes maps: whole pages, or whole 2 MiB pages from MEM_TABLE_HUGE on. */
static size_t mem_table_span(size_t n)
{
	size_t unit = n >= MEM_TABLE_HUGE ? (size_t)2 << 20 : (size_t)4096;

	return n ? (n + unit - 1) & ~(unit - 1) : unit;
}

#ifndef MEM_TABLE_HEAP
/* A mapping of span bytes aligned on align: one of span + align bytes, trimmed at both ends. */
static void *mem_map_aligned(size_t span, size_t align)
{
	char *m = mmap(NULL, span + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	char *a;

	if (m == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + span < m + span + align)
		munmap(a + span, (size_t)(m + align - a));
	return a;
}
#endif

void *mem_table_alloc(mem_account_t *acct, size_t n)
{
	size_t span = mem_table_span(n);
	void *p;

	if (!mem_account_fits(acct, n)) {
		acct->cap_hits++;
		return NULL;
	}
#ifdef MEM_TABLE_HEAP
	/* AddressSanitizer watches heap blocks, not mappings: tables stay on the heap there. */
	p = aligned_alloc(4096, span);
	if (p)
		memset(p, 0, span);
#else
	if (n >= MEM_TABLE_HUGE) {
		p = mem_map_aligned(span, (size_t)2 << 20);
#ifdef MADV_HUGEPAGE
		if (p)
			(void)madvise(p, span, MADV_HUGEPAGE);
#endif
	} else {
		p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
	}
#endif
	if (!p) {
		acct->failures++;
		return NULL;
	}
	mem_account_charge(acct, n);
	return p;
}

void mem_table_free(mem_account_t *acct, void *p, size_t n)
{
	if (!p)
		return;
#ifdef MEM_TABLE_HEAP
	free(p);
#else
	munmap(p, mem_table_span(n));
#endif
	mem_account_release(acct, n);
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
