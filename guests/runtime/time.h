/* time.h - deterministic time from the ACPI PM timer.
 *
 * Source: the ACPI power-management timer, a free-running 24-bit counter at
 * 3,579,545 Hz read with one 32-bit 'inl' from I/O port 0x608 (q35: SeaBIOS
 * sets PMBASE to 0x600 and enables the timer; vmsim provides the same port,
 * where each read advances virtual time deterministically).  Reads are masked
 * to 24 bits and accumulated wrap-aware into a 64-bit tick count, so the
 * timer must be read at least once per wrap (~4.7 s) - every helper here
 * does.  No interrupts, no calibration, no TSC.
 *
 * Stuck-timer guard: if the port returns the same value for
 * TIME_STALL_READS consecutive reads (no PM timer behind it), every further
 * unchanged read counts as one tick, so timeouts still expire and nothing
 * polls forever.  A real or emulated PM timer never trips this.
 */
#ifndef GUEST_TIME_H
#define GUEST_TIME_H

#include "types.h"

#define PM_TIMER_PORT     0x608
#define PM_TIMER_HZ       3579545u
#define PM_TIMER_MASK     0x00FFFFFFu
#define TIME_STALL_READS  (1u << 20)

u64 time_ticks(void);         /* PM timer ticks since the first call */
u64 time_us(void);            /* microseconds since the first call */
u64 time_ms_to_ticks(u32 ms); /* rounded up */
void udelay(u32 us);
void mdelay(u32 ms);

/* Read the 32-bit MMIO register at addr until (v & mask) == value or
 * timeout_ms has passed.  The register is read before the deadline is
 * checked, so at least one read always happens; after the deadline it is not
 * read again.  Returns 0 on match, -1 on timeout.  poll32_v() also stores the
 * last value read in *last (if last is not NULL). */
int poll32(uintptr_t addr, u32 mask, u32 value, u32 timeout_ms);
int poll32_v(uintptr_t addr, u32 mask, u32 value, u32 timeout_ms, u32 *last);

#endif
