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

const char *tis_reg_name(u32 off)
{
	switch (off) {
	case TIS_ACCESS: return "ACCESS";
	case TIS_STS: return "STS";
	}
	return NULL;
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
		if ((v & mask) == value) {
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

/* Poll STS until all of 'bits' are set or the attempt's deadline passes. */
static int poll_status(struct tis *t, u8 bits, u64 start, u64 limit)
{
	for (;;) {
		if ((tis_status(t) & bits) == bits)
			return 0;
		if (expired(t, start, limit))
			return -1;
	}
}

int tis_wait_status(struct tis *t, u8 bits, u32 timeout_ms)
{
	u8 rest = bits & (u8)~TIS_STS_VALID;
	u32 retries = 0;
	u8 missing;

	for (;;) {
		u64 start = time_ticks();
		u64 limit = time_ms_to_ticks(timeout_ms);

		missing = 0;
		/* stsValid first: the other bits mean something only when it is set */
		if ((bits & TIS_STS_VALID) && poll_status(t, TIS_STS_VALID, start, limit))
			missing = TIS_STS_VALID;
		else if (rest && poll_status(t, rest, start, limit))
			missing = rest & (u8)~t->last_sts;
		if (!missing)
			return TIS_OK;
		if (!(bits & TIS_STS_VALID) || retries >= t->sts_retries)
			break;
		retries++;
		t->retries_used++;
		tis_write_status(t, TIS_STS_RESPONSE_RETRY);
	}
	if (missing & TIS_STS_VALID)
		return fail(t, TIS_E_VALID, TIS_STS, t->last_sts);
	if (missing & TIS_STS_DATA_AVAIL)
		return fail(t, TIS_E_DATA, TIS_STS, t->last_sts);
	if (missing & TIS_STS_COMMAND_READY)
		return fail(t, TIS_E_READY, TIS_STS, t->last_sts);
	return fail(t, TIS_E_STS, TIS_STS, t->last_sts);
}

int tis_wait_burst(struct tis *t, u32 *burst)
{
	u64 start = time_ticks();
	u64 limit = time_ms_to_ticks(t->timeout_ms);
	u32 b;

	for (;;) {
		b = tis_burst_count(t);
		if (b) {
			*burst = b;
			return TIS_OK;
		}
		if (expired(t, start, limit))
			break;
	}
	*burst = 0;
	return fail(t, TIS_E_BURST, TIS_STS_BURST_LO, 0);
}

/* ---------------- locality ---------------- */

int tis_request_locality(struct tis *t)
{
	const u8 want = TIS_ACCESS_VALID | TIS_ACCESS_ACTIVE_LOCALITY;
	u8 v = tis_read8(t, TIS_ACCESS);

	if ((v & want) == want)
		return TIS_OK;
	tis_write8(t, TIS_ACCESS, TIS_ACCESS_REQUEST_USE);
	if (tis_poll8(t, TIS_ACCESS, want, want, t->timeout_ms, &v))
		return fail(t, TIS_E_LOCALITY, TIS_ACCESS, v);
	return TIS_OK;
}

void tis_release_locality(const struct tis *t)
{
	tis_write8(t, TIS_ACCESS, TIS_ACCESS_ACTIVE_LOCALITY);
}

/* ---------------- command phase ---------------- */

int tis_ready(struct tis *t)
{
	if (tis_status(t) & TIS_STS_COMMAND_READY)
		return TIS_OK;
	/* abort whatever the TPM was doing and make it ready */
	tis_write_status(t, TIS_STS_COMMAND_READY);
	return tis_wait_status(t, TIS_STS_COMMAND_READY, t->timeout_ms);
}

int tis_write_fifo(struct tis *t, const u8 *buf, u32 len)
{
	u32 cnt = 0, burst;
	int err;

	if (len == 0)
		return fail(t, TIS_E_CMD_LEN, TIS_NO_REG, 0);
	while (cnt < len - 1) {
		err = tis_wait_burst(t, &burst);
		if (err)
			return err;
		for (; burst > 0 && cnt < len - 1; burst--)
			tis_write8(t, TIS_DATA_FIFO, buf[cnt++]);
		err = tis_wait_status(t, TIS_STS_VALID, t->timeout_ms);
		if (err)
			return err;
		if (!(tis_status(t) & TIS_STS_EXPECT))
			return fail(t, TIS_E_EXPECT, TIS_STS, t->last_sts);
	}
	/* the last byte goes in on its own: expect must drop after it */
	tis_write8(t, TIS_DATA_FIFO, buf[cnt]);
	err = tis_wait_status(t, TIS_STS_VALID, t->timeout_ms);
	if (err)
		return err;
	if (t->last_sts & TIS_STS_EXPECT)
		return fail(t, TIS_E_EXPECT_LEFT, TIS_STS, t->last_sts);
	return TIS_OK;
}

int tis_end_write(struct tis *t, int err)
{
	int rv = TIS_OK;

	/* "hungry for more?" */
	if ((tis_status(t) & TIS_STS_EXPECT) && !err)
		rv = fail(t, TIS_E_EXPECT_LEFT, TIS_STS, t->last_sts);
	/* execute, or drop the half-written command after a failure */
	tis_write_status(t, err ? TIS_STS_COMMAND_READY : TIS_STS_GO);
	return err ? err : rv;
}

/* ---------------- response phase ---------------- */

int tis_read_fifo(struct tis *t, u8 *buf, u32 len)
{
	u32 burst;
	int err;

	while (len) {
		err = tis_wait_status(t, TIS_STS_VALID | TIS_STS_DATA_AVAIL, t->timeout_ms);
		if (err)
			return err;
		err = tis_wait_burst(t, &burst);
		if (err)
			return err;
		for (; burst > 0 && len > 0; burst--, len--)
			*buf++ = tis_read8(t, TIS_DATA_FIFO);
	}
	return TIS_OK;
}

int tis_end_read(struct tis *t, int err)
{
	int rv;

	/* NetBSD leaves the interface alone when stsValid never comes */
	rv = tis_wait_status(t, TIS_STS_VALID, t->timeout_ms);
	if (rv)
		return err ? err : rv;
	/* still more data? */
	if ((tis_status(t) & TIS_STS_DATA_AVAIL) && !err)
		rv = fail(t, TIS_E_DATA_LEFT, TIS_STS, t->last_sts);
	tis_write_status(t, TIS_STS_COMMAND_READY);
	tis_release_locality(t);
	return err ? err : rv;
}

/* ---------------- one command ---------------- */

int tis_transmit(struct tis *t, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	u32 size = 0;
	int err;

	*rsp_len = 0;
	if (cap < TPM2_HEADER_SIZE)
		return fail(t, TIS_E_RSP_LEN, TIS_NO_REG, cap);

	/* start(write) */
	err = tis_request_locality(t);
	if (!err)
		err = tis_ready(t);
	if (err)
		return err;

	/* write + end(write) */
	err = tis_request_locality(t);
	if (!err)
		err = tis_write_fifo(t, cmd, len);
	err = tis_end_write(t, err);
	if (err)
		return err;

	/* start(read): the command runs until dataAvail */
	err = tis_wait_status(t, TIS_STS_VALID | TIS_STS_DATA_AVAIL, t->cmd_timeout_ms);
	if (err)
		return err;

	/* read + end(read) */
	err = tis_read_fifo(t, rsp, TPM2_HEADER_SIZE);
	if (!err) {
		size = be32_get(rsp + 2);
		if (size < TPM2_HEADER_SIZE || size > cap)
			err = fail(t, TIS_E_RSP_LEN, TIS_NO_REG, size);
	}
	if (!err)
		err = tis_read_fifo(t, rsp + TPM2_HEADER_SIZE, size - TPM2_HEADER_SIZE);
	err = tis_end_read(t, err);
	if (err)
		return err;
	*rsp_len = size;
	return TIS_OK;
}
