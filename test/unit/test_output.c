/*
 * test_output.c - the EVE writer thread: every event reaches the file once and in order, also
 * events larger than a batch buffer, and memory use depends on the events alone.
 */
#include "test_common.h"

#include <stdlib.h>
#include <unistd.h>

#include "mem.h"
#include "output.h"

#define EVENTS 3000

/* Bytes of padding event i carries: mostly small; runs of large ones, some back to back, and
 * some larger than a whole batch buffer. */
static size_t pad_len(unsigned i)
{
	if (i % 500 == 7)
		return (size_t)1500 << 10;
	if (i % 500 == 8 || i % 500 == 9)
		return (size_t)700 << 10;
	if (i % 100 == 50)
		return (size_t)300 << 10;
	return 40 + i % 200;
}

/* Writes the events through a writer thread with a queue of queue_batches; the memory
 * account's peak, with everything freed at the end. */
static uint64_t write_events(const char *path, uint32_t queue_batches, char *pad)
{
	mem_account_t acct;
	output_config_t cfg;
	output_t *o;
	json_buf_t *jb;
	unsigned i;

	mem_account_init(&acct, "output", 0);
	output_config_default(&cfg);
	cfg.eve_path = path;
	cfg.writer_thread = 1;
	cfg.queue_batches = queue_batches;
	assert_int_equal(output_new(&o, &cfg, &acct), 0);
	jb = output_json(o);
	for (i = 0; i < EVENTS; i++) {
		output_eve_header(o, "test", 1700000000000000ull + i, NULL, 0, 0, NULL);
		json_kv_u64(jb, "i", i);
		json_kv_strn(jb, "pad", pad, pad_len(i));
		assert_int_equal(output_commit(o, "test"), 0);
	}
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(output_counters(o)->events, EVENTS);
	assert_int_equal(output_counters(o)->write_errors, 0);
	output_free(o);
	assert_int_equal(acct.in_use, 0);
	return acct.peak;
}

/* The file holds the EVENTS lines in order, each whole. */
static void check_file(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = (size_t)2 << 20, len;
	char *line = malloc(cap), want[32];
	unsigned i = 0;

	assert_non_null(f);
	assert_non_null(line);
	while (fgets(line, (int)cap, f)) {
		len = strlen(line);
		assert_true(len > 0 && line[len - 1] == '\n');
		snprintf(want, sizeof(want), "\"i\":%u,", i);
		assert_non_null(strstr(line, want));
		assert_non_null(strstr(line, "\"event_type\":\"test\""));
		assert_true(len > pad_len(i) && len < pad_len(i) + 200);
		i++;
	}
	assert_int_equal(i, EVENTS);
	fclose(f);
	free(line);
}

static void test_writer_order_and_memory(void **state)
{
	char path[] = "/tmp/apiwatch-test-output-XXXXXX";
	size_t max = (size_t)1500 << 10;
	char *pad = malloc(max);
	uint64_t peak[3];
	int fd;

	(void)state;
	assert_non_null(pad);
	memset(pad, 'x', max);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	peak[0] = write_events(path, 2, pad);
	check_file(path);
	peak[1] = write_events(path, 2, pad);
	check_file(path);
	/* A queue of one batch: the packet thread waits for the writer at every hand-over. */
	peak[2] = write_events(path, 1, pad);
	check_file(path);
	/* The slices, and one big buffer sized for the largest batch: the same on every run. */
	assert_true(peak[0] == peak[1]);
	assert_true(peak[2] < peak[0]);
	unlink(path);
	free(pad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_order_and_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
