/*
 * clock.h - monotonic milliseconds, for deadlines and durations.
 */
#ifndef GAO_COMMON_CLOCK_H
#define GAO_COMMON_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds: never goes back, unrelated to the
 * wall clock (use it for timeouts, never for timestamps). */
uint64_t clock_now_ms(void);

#endif
