/* tis.h - TPM FIFO / TIS transport (TCG PC Client PTP FIFO interface, TIS 1.2/1.3).
 *
 * Register offsets are relative to one locality page (locality 0 at
 * 0xFED40000; locality n at + 0x1000 * n).  Every access is width-exact
 * (runtime/io.h):
 *
 *   ACCESS, DATA_FIFO, RID        always 1-byte accesses
 *   INTF_CAPABILITY, DID_VID      4-byte reads (tis_read32)
 *   STS                           t->sts_width selects the driver style:
 *     1 (NetBSD, the default)     R1 0x18 for the status byte, burstCount as
 *                                 R1 0x19 then R1 0x1A, W1 0x18 for commands
 *     4 (Linux/FreeBSD style)     R4 0x18 (status = bits 7:0, burstCount =
 *                                 bits 23:8), W4 0x18 for commands
 *
 * Polls never spin without a bound: each one reads the register, returns on
 * a match, checks its deadline with one PM-timer read ('inl 0x608') and then
 * waits t->poll_us microseconds (udelay, PM timer) before the next read.
 * The register is always read at least once and never after the deadline.
 *
 * Building blocks (all return TIS_OK or a negative enum tis_error; on an
 * error t->err_reg / t->err_val hold the register and value that failed):
 *
 *   tis_request_locality   R1 ACCESS; if (v & 0xA0) == 0xA0 done; else
 *                          W1 ACCESS=requestUse (0x02) and poll R1 ACCESS until
 *                          (v & 0xA0) == 0xA0 (t->timeout_ms)
 *   tis_release_locality   W1 ACCESS=activeLocality (0x20)
 *   tis_wait_status        wait for STS bits; stsValid (if asked) is polled first,
 *                          then the other bits, both within one t-> deadline per
 *                          attempt.  If a bit is still missing and stsValid was
 *                          asked for, W STS=responseRetry (0x02) and start again,
 *                          at most t->sts_retries times
 *   tis_wait_burst         read burstCount until it is non-zero (t->timeout_ms)
 *   tis_ready              read STS; if commandReady is clear, W STS=commandReady
 *                          (0x40) and wait for commandReady
 *   tis_write_fifo         bursts of W1 DATA_FIFO for all but the last byte; after
 *                          each burst wait stsValid, read STS, expect must be set;
 *                          then the last byte, wait stsValid, expect must be clear
 *   tis_end_write          read STS (expect set -> error); W STS=tpmGo (0x20), or
 *                          W STS=commandReady when the write failed
 *   tis_read_fifo          per burst: wait stsValid+dataAvail, burstCount, then
 *                          R1 DATA_FIFO x min(burst, bytes left)
 *   tis_end_read           wait stsValid, read STS (dataAvail set -> error),
 *                          W STS=commandReady, W1 ACCESS=activeLocality
 *   tis_transmit           one command, framed like NetBSD's tpm_tis12_* (see tis.c)
 */
#ifndef GUEST_TIS_H
#define GUEST_TIS_H

#include "types.h"

#define TIS_DEFAULT_BASE    0xFED40000u
#define TIS_LOCALITY_SIZE   0x1000u

/* register offsets inside a locality page */
#define TIS_ACCESS          0x00    /* 8 bit */
#define TIS_INT_ENABLE      0x08    /* 32 bit */
#define TIS_INT_VECTOR      0x0C    /* 8 bit */
#define TIS_INT_STATUS      0x10    /* 32 bit */
#define TIS_INTF_CAPABILITY 0x14    /* 32 bit */
#define TIS_STS             0x18    /* 32 bit: status 7:0, burstCount 23:8 */
#define TIS_STS_BURST_LO    0x19
#define TIS_STS_BURST_HI    0x1A
#define TIS_DATA_FIFO       0x24
#define TIS_INTERFACE_ID    0x30    /* 32 bit */
#define TIS_DID_VID         0xF00   /* 32 bit */
#define TIS_RID             0xF04   /* 8 bit */

/* ACCESS bits */
#define TIS_ACCESS_ESTABLISHMENT   0x01
#define TIS_ACCESS_REQUEST_USE     0x02
#define TIS_ACCESS_PENDING_REQUEST 0x04
#define TIS_ACCESS_SEIZE           0x08
#define TIS_ACCESS_BEEN_SEIZED     0x10
#define TIS_ACCESS_ACTIVE_LOCALITY 0x20
#define TIS_ACCESS_VALID           0x80

/* STS bits (low byte) */
#define TIS_STS_RESPONSE_RETRY     0x02
#define TIS_STS_SELFTEST_DONE      0x04
#define TIS_STS_EXPECT             0x08
#define TIS_STS_DATA_AVAIL         0x10
#define TIS_STS_GO                 0x20
#define TIS_STS_COMMAND_READY      0x40
#define TIS_STS_VALID              0x80

/* INTF_CAPABILITY bits */
#define TIS_CAP_DATA_AVAIL_INT     0x001
#define TIS_CAP_STS_VALID_INT      0x002
#define TIS_CAP_LOCALITY_CHANGE_INT 0x004
#define TIS_CAP_INT_LEVEL_HIGH     0x008
#define TIS_CAP_INT_LEVEL_LOW      0x010
#define TIS_CAP_INT_EDGE_RISING    0x020
#define TIS_CAP_INT_EDGE_FALLING   0x040
#define TIS_CAP_CMD_READY_INT      0x080
#define TIS_CAP_BURST_COUNT_STATIC 0x100

/* defaults set by tis_init (milliseconds) */
#define TIS_DEFAULT_TIMEOUT_MS     2000    /* locality, ready, valid, burst, data */
#define TIS_DEFAULT_CMD_TIMEOUT_MS 10000   /* dataAvail after tpmGo */
#define TIS_DEFAULT_STS_RETRIES    3

enum tis_error {
	TIS_OK = 0,
	TIS_E_LOCALITY = -1,      /* ACCESS never showed valid + activeLocality */
	TIS_E_READY = -2,         /* commandReady never set */
	TIS_E_BURST = -3,         /* burstCount stayed 0 */
	TIS_E_VALID = -4,         /* stsValid never set (after the responseRetry writes) */
	TIS_E_DATA = -5,          /* dataAvail never set (after the responseRetry writes) */
	TIS_E_EXPECT = -6,        /* expect clear while command bytes remain */
	TIS_E_EXPECT_LEFT = -7,   /* expect still set after the last command byte */
	TIS_E_RSP_LEN = -8,       /* response length outside 10..caller buffer */
	TIS_E_DATA_LEFT = -9,     /* dataAvail still set after the last response byte */
	TIS_E_CMD_LEN = -10,      /* empty command */
	TIS_E_STS = -11,          /* other STS bits never set */
};

struct tis {
	uintptr_t base;      /* locality page (0xFED40000 for locality 0) */
	u32 sts_width;       /* 1 or 4, see top of file */
	u32 poll_us;         /* pause between two reads of a polled register */
	u32 timeout_ms;      /* locality, ready, stsValid, burstCount, data waits */
	u32 cmd_timeout_ms;  /* wait for dataAvail after tpmGo */
	u32 sts_retries;     /* responseRetry writes allowed per tis_wait_status */
	/* diagnostics */
	u32 retries_used;    /* responseRetry writes made so far */
	u8 last_sts;         /* last STS status byte read */
	u32 err_reg;         /* register offset of the failure, ~0 if none */
	u32 err_val;         /* its last value (or the offending number) */
};

#define TIS_NO_REG 0xFFFFFFFFu

/* base, NetBSD-style defaults: sts_width 1, poll_us 0, the TIS_DEFAULT_* limits. */
void tis_init(struct tis *t, uintptr_t base);
const char *tis_strerror(int err);
/* "ACCESS" or "STS" for an error report's err_reg, else NULL. */
const char *tis_reg_name(u32 off);

/* single width-exact register accesses */
u8 tis_read8(const struct tis *t, u32 off);
u32 tis_read32(const struct tis *t, u32 off);
void tis_write8(const struct tis *t, u32 off, u8 v);
void tis_write32(const struct tis *t, u32 off, u32 v);

/* Poll an 8-bit register until (v & mask) == value (see top of file).
 * Returns 0 on match, -1 on timeout; *last (may be NULL) gets the last value. */
int tis_poll8(const struct tis *t, u32 off, u8 mask, u8 value, u32 timeout_ms, u8 *last);

/* STS status byte, STS command write, burstCount (per t->sts_width) */
u8 tis_status(struct tis *t);
void tis_write_status(const struct tis *t, u8 v);
u32 tis_burst_count(const struct tis *t);

int tis_request_locality(struct tis *t);
void tis_release_locality(const struct tis *t);
int tis_wait_status(struct tis *t, u8 bits, u32 timeout_ms);
int tis_wait_burst(struct tis *t, u32 *burst);
int tis_ready(struct tis *t);
int tis_write_fifo(struct tis *t, const u8 *buf, u32 len);
int tis_end_write(struct tis *t, int err);
int tis_read_fifo(struct tis *t, u8 *buf, u32 len);
int tis_end_read(struct tis *t, int err);

/* One command: request locality, ready, write, go, read header + rest, end.
 * *rsp_len is the response length (0 on a transport error). */
int tis_transmit(struct tis *t, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len);

#endif
