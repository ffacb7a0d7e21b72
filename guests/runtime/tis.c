/* tis.c - TPM FIFO/TIS transport; access sequence in tis.h.
 *
 * tis_transmit() frames one command the way NetBSD's TIS 1.2 driver does
 * (facts from shared/reference/driver-probes.md; the code is vmsim's own):
 *
 *   start(write)  tis_request_locality; read STS; if commandReady is clear,
 *                 W STS=commandReady and wait for commandReady (no end step
 *                 if this fails)
 *   write         tis_request_locality again (one R1 ACCESS when still active),
 *                 tis_write_fifo
 *   end(write)    tis_end_write: W STS=tpmGo, or commandReady after an error
 *   start(read)   wait stsValid + dataAvail (t->cmd_timeout_ms; no end step if
 *                 this fails)
 *   read          tis_read_fifo of the 10-byte header; 10 <= size <= cap;
 *                 tis_read_fifo of the rest
 *   end(read)     tis_end_read: W STS=commandReady, release the locality
 */
#include "tis.h"
#include "io.h"
#include "time.h"
#include "tpm2.h"

void tis_init(struct tis *t, uintptr_t base)
{
	t->base = base;
	t->sts_width = 1;
	t->poll_us = 0;
	t->timeout_ms = TIS_DEFAULT_TIMEOUT_MS;
	t->cmd_timeout_ms = TIS_DEFAULT_CMD_TIMEOUT_MS;
	t->sts_retries = TIS_DEFAULT_STS_RETRIES;
	t->retries_used = 0;
	t->last_sts = 0;
	t->err_reg = TIS_NO_REG;
	t->err_val = 0;
}

const char *tis_strerror(int err)
{
	switch (err) {
	case TIS_OK: return "ok";
	case TIS_E_LOCALITY: return "locality request timed out";
	case TIS_E_READY: return "commandReady timed out";
	case TIS_E_BURST: return "burstCount stayed 0";
	case TIS_E_VALID: return "stsValid timed out";
	case TIS_E_DATA: return "dataAvail timed out";
	case TIS_E_EXPECT: return "expect clear before the last command byte";
	case TIS_E_EXPECT_LEFT: return "expect still set after the last command byte";
	case TIS_E_RSP_LEN: return "bad response length";
	case TIS_E_DATA_LEFT: return "dataAvail still set after the last response byte";
	case TIS_E_CMD_LEN: return "empty command";
	case TIS_E_STS: return "STS bits timed out";
	}
	return "unknown TIS error";
}

/* ---------------- register access ---------------- */

u8 tis_read8(const struct tis *t, u32 off)
{
	return mmio_read8(t->base + off);
}

u32 tis_read32(const struct tis *t, u32 off)
{
	return mmio_read32(t->base + off);
}

void tis_write8(const struct tis *t, u32 off, u8 v)
{
	mmio_write8(t->base + off, v);
}

void tis_write32(const struct tis *t, u32 off, u32 v)
{
	mmio_write32(t->base + off, v);
}

u8 tis_status(struct tis *t)
{
	u8 s;

	if (t->sts_width == 4)
		s = (u8)tis_read32(t, TIS_STS);
	else
		s = tis_read8(t, TIS_STS);
	t->last_sts = s;
	return s;
}

void tis_write_status(const struct tis *t, u8 v)
{
	if (t->sts_width == 4)
		tis_write32(t, TIS_STS, v);
	else
		tis_write8(t, TIS_STS, v);
}

u32 tis_burst_count(const struct tis *t)
{
	u32 lo, hi;

	if (t->sts_width == 4)
		return (tis_read32(t, TIS_STS) >> 8) & 0xFFFF;
	lo = tis_read8(t, TIS_STS_BURST_LO);
	hi = tis_read8(t, TIS_STS_BURST_HI);
	return lo | (hi << 8);
}

static int fail(struct tis *t, int err, u32 reg, u32 val)
{
	t->err_reg = reg;
	t->err_val = val;
	return err;
}

/* ---------------- polling ---------------- */

/* Called after a read that did not match: 1 when the deadline has passed
 * (one PM-timer read), otherwise pause t->poll_us and return 0. */
static int expired(const struct tis *t, u64 start, u64 limit)
{
	if (time_ticks() - start >= limit)
		return 1;
	if (t->poll_us)
		udelay(t->poll_us);
	return 0;
}

int tis_poll8(const struct tis *t, u32 off, u8 mask, u8 value, u32 timeout_ms, u8 *last)
{
	u64 start = time_ticks();
	u64 limit = time_ms_to_ticks(timeout_ms);
	u8 v;
	int rv = -1;

	for (;;) {
		v = tis_read8(t, off);
		if ((v & mask) == mask_value_dummy_guard(value, mask)) {
			rv = 0;
			break;
		}
		if (expired(t, start, limit))
			break;
	}
	if (last)
		*last = v;
	return rv;
}
