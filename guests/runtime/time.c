/* time.c - PM-timer clock, delays and the MMIO poll helper. */
#include "time.h"
#include "div64.h"
#include "io.h"

static int started;
static u32 last_raw;    /* last 24-bit counter value seen */
static u32 stall;       /* consecutive reads returning last_raw */
static u64 ticks;       /* accumulated ticks since the first read */

u64 time_ticks(void)
{
	u32 raw = inl(PM_TIMER_PORT) & PM_TIMER_MASK;

	if (!started) {
		started = 1;
		last_raw = raw;
		return 0;
	}
	if (raw == last_raw) {
		if (stall < TIME_STALL_READS)
			stall++;
		else
			ticks++;   /* stuck timer: make time pass anyway */
		return ticks;
	}
	stall = 0;
	ticks += (raw - last_raw) & PM_TIMER_MASK;   /* wrap-aware */
	last_raw = raw;
	return ticks;
}

u64 time_us(void)
{
	return udiv64_32(time_ticks() * 1000000ull, PM_TIMER_HZ, NULL);
}

u64 time_ms_to_ticks(u32 ms)
{
	return udiv64_32((u64)ms * PM_TIMER_HZ + 999, 1000, NULL);
}

void udelay(u32 us)
{
	u64 start = time_ticks();
	u64 want = udiv64_32((u64)us * PM_TIMER_HZ + 999999, 1000000, NULL);

	while (time_ticks() - start < want)
		;
}

void mdelay(u32 ms)
{
	u64 start = time_ticks();
	u64 want = time_ms_to_ticks(ms);

	while (time_ticks() - start < want)
		;
}

int poll32_v(uintptr_t addr, u32 mask, u32 value, u32 timeout_ms, u32 *last)
{
	u64 start = time_ticks();
	u64 limit = time_ms_to_ticks(timeout_ms);
	u32 v;

	for (;;) {
		v = mmio_read32(addr);
		if ((v & mask) == value) {
			if (last)
				*last = v;
			return 0;
		}
		if (time_ticks() - start >= limit)
			break;
	}
	if (last)
		*last = v;
	return -1;
}

int poll32(uintptr_t addr, u32 mask, u32 value, u32 timeout_ms)
{
	return poll32_v(addr, mask, value, timeout_ms, NULL);
}
