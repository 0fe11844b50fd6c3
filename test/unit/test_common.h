/*
 * test_common.h - includes and small helpers shared by the unit tests (cmocka).
 */
#ifndef APIWATCH_TEST_COMMON_H
#define APIWATCH_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#endif
