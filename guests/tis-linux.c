/* tis-linux.c - a guest that finds and drives a FIFO/TIS TPM the way Linux
 * tpm_tis does (drivers/char/tpm/tpm_tis.c + tpm_tis_core.c, polling mode,
 * no IRQ).  Facts (offsets, widths, values, order, timeouts) come from
 * shared/reference/driver-probes.md and the driver; the code is vmsim's own.
 *
 * Discovery: ACPI TPM2 table, start method 6 (FIFO/TIS).  For FIFO the
 * table's control area is 0: Linux takes the register window from the
 * MSFT0101 device's _CRS in the DSDT (Memory32Fixed 0xFED40000, 0x5000 on
 * QEMU).  This guest does not parse AML; it uses 0xFED40000, the address
 * every PC firmware (and vmsim) puts there.
 *
 * tpm_tis_core_init() (locality 0 page):
 *   R4 0xF00 DID_VID (the first access)
 *   wait_startup: R1 0x00 until tpmRegValidSts (b7), 5 ms apart, 750 ms
 *   R4 0x08 INT_ENABLE, R4 0x14 INTF_CAPABILITY
 *   request locality 0 (below), W4 0x08 = (INT_ENABLE | 0x87) & ~b31
 *     (Linux sets the cmdReady/localityChange/dataAvail/stsValid enables and
 *     clears the global enable: interrupts stay off), release (W1 0x00=0x20)
 *   tpm2_probe: one command framed by request/release, the TPM is 2.0 when
 *     the response tag is TPM_ST_NO_SESSIONS (the response code is ignored).
 *     Linux sends GetCapability(TPM_PT_TOTAL_COMMANDS); this guest sends
 *     GetCapability(TPM_PT_MANUFACTURER) - same command, other property.
 *   R1 0xF04 RID, R2 0xF00 (probe_itpm reads the 16-bit vendor id)
 *
 * Register widths, as Linux: ACCESS, DATA_FIFO and RID 1 byte; the STS
 * status byte is R1 0x18 (tpm_tis_status is a read8), burstCount comes from
 * R4 0x18 bits 23:8 (get_burstcount is a read32), STS commands are W1 0x18
 * (tpm_tis_ready, TPM_STS_GO).  With "sts=4" on the command line the status
 * reads and STS writes become R4/W4 0x18 (the FreeBSD widths), everything
 * else unchanged.
 *
 *   request locality  R1 0x00: (v & 0xA2) == 0xA0 -> done (check_locality);
 *                     else W1 0x00=0x02, then R1 0x00 until (v & 0xA2) == 0xA0,
 *                     5 ms apart, 750 ms
 *   release           W1 0x00=0x20
 *   wait STS bits     status; on a miss: 100 us pause, status, ... (one mask,
 *                     no responseRetry)
 *   burstCount        R4 0x18 until bits 23:8 != 0, 100 us apart, 750 ms
 *   send              status; if commandReady (0x40) clear: W 0x18=0x40, wait
 *                     0x40 (2 s).  Bursts: burstCount, W1 0x24 x min(burst,
 *                     bytes left - 1), wait stsValid (750 ms), status: expect
 *                     (0x08) must be set.  Last byte: W1 0x24, wait stsValid,
 *                     status: expect must be clear.  Any failure: W 0x18=0x40.
 *   go                W 0x18=0x20
 *   completion        status until (v & 0x90) == 0x90, 1 ms apart; v == 0x40
 *                     means cancelled; timeout: W 0x18=0x40
 *   recv              header: per burst wait 0x90 (750 ms), burstCount, R1 0x24
 *                     x min(burst, left) until 10 bytes; 10 <= size <= buffer;
 *                     the rest the same way; wait stsValid, status: dataAvail
 *                     must be clear; always W 0x18=0x40 at the end
 *   per command       request locality, send, go, completion, recv, release
 *
 * Then the crb-linux command set: Startup(CLEAR) (TPM_RC_INITIALIZE
 * accepted), GetRandom(16), PCR_Reset(16), PCR_Extend(16, sha256("vmsim")),
 * PCR_Read(16) checked, GetCapability(TPM_PT_MANUFACTURER).
 *
 * Exit status: 0 all commands succeeded, 1 a TPM command failed or returned
 * a wrong value, 2 no TPM (no TPM2 table, start method not FIFO, ACCESS
 * never valid, locality 0 never granted, not a TPM 2.0), 3 transport error.
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/time.h"
#include "runtime/tis.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"
#include "runtime/tpm_attach.h"

#define TAG "tis-linux: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

/* Linux tpm_tis_core.h / tpm.h (milliseconds unless noted) */
#define TIMEOUT_A_MS        750     /* locality, wait_startup, burstCount (TPM 2.0) */
#define TIMEOUT_B_MS        2000    /* commandReady */
#define TIMEOUT_C_MS        750     /* stsValid, dataAvail while reading */
#define CMD_DURATION_MS     2000    /* completion; Linux: per-ordinal durations */
#define TPM_TIMEOUT_MS      5       /* msleep between ACCESS reads */
#define TPM_TIMEOUT_POLL_MS 1       /* msleep between completion polls */
#define USLEEP_MIN_US       100     /* usleep_range lower bound in STS polls */

/* INT_ENABLE bits */
#define INT_GLOBAL_ENABLE   0x80000000u
#define INT_LINUX_ENABLES   (TIS_CAP_CMD_READY_INT | TIS_CAP_LOCALITY_CHANGE_INT | \
			     TIS_CAP_DATA_AVAIL_INT | TIS_CAP_STS_VALID_INT)   /* 0x87 */

/* errors of this transport beyond enum tis_error */
#define E_CANCELED     (-100)     /* status read exactly commandReady while waiting */

static struct tis tis;           /* base, sts_width, last_sts, err_reg/err_val */
static u8 cmd_buf[4096];
static u8 rsp_buf[4096];

/* the first R4 STS of the first command, read after commandReady was seen */
static int sts_capture;
static u32 sts_captured;

static int fail(int err, u32 reg, u32 val)
{
	tis.err_reg = reg;
	tis.err_val = val;
	return err;
}

static const char *strerror_linux(int err)
{
	if (err == E_CANCELED)
		return "operation canceled (STS read commandReady only)";
	return tis_strerror(err);
}

static int expired(u64 start, u32 ms)
{
	return time_ticks() - start >= time_ms_to_ticks(ms);
}

/* ---------------- locality ---------------- */

/* check_locality(): active and valid, no request pending */
static int check_locality(u8 *v)
{
	*v = tis_read8(&tis, TIS_ACCESS);
	return (*v & (TIS_ACCESS_ACTIVE_LOCALITY | TIS_ACCESS_VALID | TIS_ACCESS_REQUEST_USE)) ==
	       (TIS_ACCESS_ACTIVE_LOCALITY | TIS_ACCESS_VALID);
}

static int request_locality(u8 *last)
{
	u64 start;
	u8 v;

	if (check_locality(&v)) {
		*last = v;
		return TIS_OK;
	}
	tis_write8(&tis, TIS_ACCESS, TIS_ACCESS_REQUEST_USE);
	start = time_ticks();
	do {
		if (check_locality(&v)) {
			*last = v;
			return TIS_OK;
		}
		mdelay(TPM_TIMEOUT_MS);
	} while (!expired(start, TIMEOUT_A_MS));
	*last = v;
	return fail(TIS_E_LOCALITY, TIS_ACCESS, v);
}

static void release_locality(void)
{
	tis_write8(&tis, TIS_ACCESS, TIS_ACCESS_ACTIVE_LOCALITY);
}

/* wait_startup(): ACCESS.tpmRegValidSts */
static int wait_startup(u8 *last)
{
	u64 start = time_ticks();
	u8 v;

	do {
		v = tis_read8(&tis, TIS_ACCESS);
		if (v & TIS_ACCESS_VALID) {
			*last = v;
			return TIS_OK;
		}
		mdelay(TPM_TIMEOUT_MS);
	} while (!expired(start, TIMEOUT_A_MS));
	*last = v;
	return fail(TIS_E_VALID, TIS_ACCESS, v);
}

/* ---------------- STS ---------------- */

/* wait_for_tpm_stat(), polling: read; on a miss pause, read, until the
 * deadline.  Returns 0 or -1 (tis.last_sts holds the last status). */
static int wait_stat(u8 mask, u32 timeout_ms)
{
	u64 start;

	if ((tis_status(&tis) & mask) == mask)
		return 0;
	start = time_ticks();
	do {
		udelay(USLEEP_MIN_US);
		if ((tis_status(&tis) & mask) == mask)
			return 0;
	} while (!expired(start, timeout_ms));
	return -1;
}

/* get_burstcount(): R4 STS bits 23:8 */
static int get_burstcount(u32 *burst)
{
	u64 start = time_ticks();
	u32 v;

	do {
		v = tis_read32(&tis, TIS_STS);
		if (sts_capture) {
			sts_capture = 0;
			sts_captured = v;
		}
		*burst = (v >> 8) & 0xFFFF;
		if (*burst)
			return TIS_OK;
		udelay(USLEEP_MIN_US);
	} while (!expired(start, TIMEOUT_A_MS));
	return fail(TIS_E_BURST, TIS_STS, v);
}

/* ---------------- one command ---------------- */

/* tpm_tis_send_data() */
static int send_data(const u8 *buf, u32 len)
{
	u32 count = 0, burst;
	int err;

	if (!(tis_status(&tis) & TIS_STS_COMMAND_READY)) {
		tis_write_status(&tis, TIS_STS_COMMAND_READY);
		if (wait_stat(TIS_STS_COMMAND_READY, TIMEOUT_B_MS)) {
			err = fail(TIS_E_READY, TIS_STS, tis.last_sts);
			goto out_err;
		}
	}
	while (count < len - 1) {
		err = get_burstcount(&burst);
		if (err)
			goto out_err;
		if (burst > len - count - 1)
			burst = len - count - 1;
		while (burst--)
			tis_write8(&tis, TIS_DATA_FIFO, buf[count++]);
		if (wait_stat(TIS_STS_VALID, TIMEOUT_C_MS)) {
			err = fail(TIS_E_VALID, TIS_STS, tis.last_sts);
			goto out_err;
		}
		if (!(tis_status(&tis) & TIS_STS_EXPECT)) {
			err = fail(TIS_E_EXPECT, TIS_STS, tis.last_sts);
			goto out_err;
		}
	}
	/* write last byte */
	tis_write8(&tis, TIS_DATA_FIFO, buf[count]);
	if (wait_stat(TIS_STS_VALID, TIMEOUT_C_MS)) {
		err = fail(TIS_E_VALID, TIS_STS, tis.last_sts);
		goto out_err;
	}
	if (tis_status(&tis) & TIS_STS_EXPECT) {
		err = fail(TIS_E_EXPECT_LEFT, TIS_STS, tis.last_sts);
		goto out_err;
	}
	return TIS_OK;

out_err:
	tis_write_status(&tis, TIS_STS_COMMAND_READY);
	return err;
}

/* the polling loop of tpm_try_transmit() after send */
static int wait_complete(void)
{
	u64 start = time_ticks();
	u8 s;

	do {
		s = tis_status(&tis);
		if ((s & (TIS_STS_VALID | TIS_STS_DATA_AVAIL)) == (TIS_STS_VALID | TIS_STS_DATA_AVAIL))
			return TIS_OK;
		if (s == TIS_STS_COMMAND_READY)     /* tpm_tis_req_canceled() */
			return fail(E_CANCELED, TIS_STS, s);
		mdelay(TPM_TIMEOUT_POLL_MS);
	} while (!expired(start, CMD_DURATION_MS));
	tis_write_status(&tis, TIS_STS_COMMAND_READY);   /* tpm_chip_cancel() */
	return fail(TIS_E_DATA, TIS_STS, s);
}

/* recv_data() */
static int recv_data(u8 *buf, u32 count)
{
	u32 size = 0, burst;
	int err;

	while (size < count) {
		if (wait_stat(TIS_STS_VALID | TIS_STS_DATA_AVAIL, TIMEOUT_C_MS))
			return fail(TIS_E_DATA, TIS_STS, tis.last_sts);
		err = get_burstcount(&burst);
		if (err)
			return err;
		if (burst > count - size)
			burst = count - size;
		while (burst--)
			buf[size++] = tis_read8(&tis, TIS_DATA_FIFO);
	}
	return TIS_OK;
}

/* tpm_tis_recv() */
static int recv(u8 *buf, u32 cap, u32 *len)
{
	u32 expected = 0;
	int err;

	err = recv_data(buf, TPM2_HEADER_SIZE);
	if (err)
		goto out;
	expected = be32_get(buf + 2);
	if (expected > cap || expected < TPM2_HEADER_SIZE) {
		err = fail(TIS_E_RSP_LEN, TIS_NO_REG, expected);
		goto out;
	}
	err = recv_data(buf + TPM2_HEADER_SIZE, expected - TPM2_HEADER_SIZE);
	if (err)
		goto out;
	if (wait_stat(TIS_STS_VALID, TIMEOUT_C_MS)) {
		err = fail(TIS_E_VALID, TIS_STS, tis.last_sts);
		goto out;
	}
	if (tis_status(&tis) & TIS_STS_DATA_AVAIL) {
		err = fail(TIS_E_DATA_LEFT, TIS_STS, tis.last_sts);
		goto out;
	}
	*len = expected;
out:
	tis_write_status(&tis, TIS_STS_COMMAND_READY);
	return err;
}

/* tpm_chip_start() + tpm_try_transmit() + tpm_chip_stop() */
static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	u8 access;
	int err;

	*rsp_len = 0;
	err = request_locality(&access);
	if (err)
		return err;
	err = send_data(cmd, len);
	if (!err) {
		tis_write_status(&tis, TIS_STS_GO);
		err = wait_complete();
	}
	if (!err)
		err = recv(rsp, cap, rsp_len);
	release_locality();
	return err;
}

/* ---------------- commands ---------------- */

static int transport_error(const char *step, int err)
{
	const char *reg = tis_reg_name(tis.err_reg);

	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%02x)\n", step, strerror_linux(err), reg, tis.err_val);
	else
		printf(TAG "ERROR %s: %s (0x%x)\n", step, strerror_linux(err), tis.err_val);
	return EXIT_TRANSPORT;
}

/* ---------------- tpm_tis_core_init ---------------- */

static int no_tis(const char *what)
{
	printf(TAG "%s\n", what);
	printf(TAG "no TIS TPM attached\n");
	return EXIT_NO_TPM;
}

/* Each register value is printed right after it is read (console output is
 * port I/O, invisible to the TPM), so the reg lines are in read order. */
static int core_init(void)
{
	u32 did_vid, int_enable, intmask, rsp_len = 0;
	u8 access, rid;
	int err;

	did_vid = tis_read32(&tis, TIS_DID_VID);
	printf(TAG "reg DID_VID 0x%08x\n", did_vid);
	err = wait_startup(&access);
	printf(TAG "reg ACCESS 0x%02x\n", access);
	if (err)
		return no_tis("ACCESS.tpmRegValidSts never set");

	/* take control of the interrupt hardware and shut it off */
	int_enable = tis_read32(&tis, TIS_INT_ENABLE);
	printf(TAG "reg INT_ENABLE 0x%08x\n", int_enable);
	printf(TAG "reg INTF_CAPABILITY 0x%08x\n", tis_read32(&tis, TIS_INTF_CAPABILITY));
	intmask = (int_enable | INT_LINUX_ENABLES) & ~INT_GLOBAL_ENABLE;
	if (request_locality(&access)) {
		printf(TAG "reg ACCESS 0x%02x\n", access);
		return no_tis("locality 0 request timed out");
	}
	tis_write32(&tis, TIS_INT_ENABLE, intmask);
	release_locality();

	/* tpm2_probe(), framed by tpm_chip_start()/tpm_chip_stop() */
	sts_capture = 1;
	err = transmit(cmd_buf, tpm2_build_get_capability(cmd_buf, sizeof(cmd_buf),
							  TPM_CAP_TPM_PROPERTIES, TPM_PT_MANUFACTURER, 1),
		       rsp_buf, sizeof(rsp_buf), &rsp_len);
	if (!sts_capture)
		printf(TAG "reg STS 0x%08x\n", sts_captured);
	sts_capture = 0;
	if (err)
		return transport_error("probe", err);
	if (rsp_len < TPM2_HEADER_SIZE || be16_get(rsp_buf) != TPM_ST_NO_SESSIONS) {
		printf(TAG "probe: response tag 0x%04x, not a TPM 2.0\n",
		       rsp_len >= 2 ? be16_get(rsp_buf) : 0);
		return EXIT_NO_TPM;
	}
	printf(TAG "probe tag 0x%04x rc=0x%03x %s (response code ignored, as Linux)\n",
	       be16_get(rsp_buf), be32_get(rsp_buf + 6), tpm2_rc_name(be32_get(rsp_buf + 6)));

	rid = tis_read8(&tis, TIS_RID);
	printf(TAG "reg RID 0x%02x\n", rid);
	/* probe_itpm(): the 16-bit vendor id */
	printf(TAG "reg VID 0x%04x\n", mmio_read16(tis.base + TIS_DID_VID));
	printf(TAG "2.0 TPM (device-id 0x%X, rev-id %d)\n", did_vid >> 16, rid);
	return 0;
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, transport_error, cmd_buf, rsp_buf);
	u32 width = 1;
	int st;

	if (cmdline_get_u32(cmdline, "sts", &width) < 0 || (width != 1 && width != 4)) {
		printf(TAG "bad sts= in command line \"%s\" (1 or 4)\n", cmdline);
		return EXIT_TRANSPORT;
	}

	st = tpm_find_tpm2(TAG, ACPI_TPM2_START_FIFO, NULL);
	if (st)
		return st;

	/* The TPM2 table's control area is 0 for FIFO; Linux maps the window
	 * given by the DSDT _CRS.  Use the fixed PC address instead of AML. */
	tis_init(&tis, TIS_DEFAULT_BASE);
	tis.sts_width = width;
	if (width != 1)
		printf(TAG "sts=%u: STS status reads and commands are %u-byte accesses\n", width, width);

	st = core_init();
	if (!st)
		st = tpmcmd_linux_set(&tc);
	if (st)
		return st;
	printf(TAG "PASS\n");
	return EXIT_OK;
}
