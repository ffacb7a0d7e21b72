/* crb-openbsd.c - a guest that finds and drives the TPM the way OpenBSD's
 * acpi tpm(4) driver does (sys/dev/acpi/tpm.c 1.20): TIS for ACPI TPM2 start
 * method 6, CRB for 7.  Facts (offsets, widths, values, order, timeouts)
 * come from shared/reference/driver-probes.md and the driver; the code is
 * vmsim's own.
 *
 * Match/attach (no MMIO): a DSDT device with _HID "MSFT0101" (byte search,
 * runtime/acpi_dev.h) with a memory resource (tpm_match needs aaa_naddr >= 1;
 * the window is the _CRS Memory32Fixed), then the TPM2 table's start method
 * (0 when there is no table): 6 -> TIS, 7 -> CRB, anything else
 * "unsupported TPM2 start method", exit 2.  _STA is not evaluated.
 *
 * CRB, tpm_init_crb() (offsets relative to the window):
 *   request locality  R4 0x08, W4 0x08 = v | 1 (a read-modify-write of the
 *                     write-only LOC_CTRL); R4 0x00, then {10 us; R4 0x00}
 *                     until (v & 0x82) == 0x82, 4 s -> EBUSY
 *   "ack and disable all interrupts": R4 0x08, W4 0x08 = v & ~b31.  The
 *                     driver uses the TIS INT_ENABLE offset, which is LOC_CTRL
 *                     on a CRB: reproduced as is
 *   buffers           R4 0x5C, R4 0x60, R4 0x58, R4 0x68, R4 0x6C, R4 0x64;
 *                     both addresses made window-relative (address - window)
 *   release           R4 0x08, W4 0x08 = v | 2 (no wait)
 *   equal CMD/RSP offsets need equal sizes ("invalid buffer sizes")
 * CRB command, tpm_write_crb() + tpm_read_crb():
 *   len > CMD_SIZE -> EINVAL; R4 0x44 b0 -> EIO; request locality (above);
 *   W4 0x48=0; R4 0x44: idle (b1) clear -> R4 0x40, W4 0x40 = v | 2, wait
 *   R4 0x44 b1 set; R4 0x40, W4 0x40 = v | 1, wait R4 0x44 b0 clear; W1 per
 *   command byte at the command offset; W4 0x4C=1; wait R4 0x4C == 0 (200 ms,
 *   no cancel: EIO); R1 x10 header at the response offset; 10 <= size <=
 *   RSP_SIZE else EIO; R1 for the rest (*); R4 0x40, W4 0x40 = v | 2 (goIdle),
 *   wait R4 0x44 b1 set (a timeout is only printed); R4 0x08, W4 0x08 = v | 2.
 *   A wait (tpm_waitfor) is R4; then {R4; 1 us} for the timeout, 200 ms.
 *   (*) tpm.c 1.20's tpm_read_crb stops after the header (its only caller
 *   is the suspend path's Shutdown); the guest reads the rest of the response
 *   with the same 1-byte reads so that GetRandom has a result.
 *
 * TIS, tpm_probe() + tpm_init_tis():
 *   R1 0x00 until b7 (tpmRegValidSts), 10000 x 10 us (a timeout is printed
 *   and the probe goes on); R4 0x14 == 0xFFFFFFFF -> "probe failed" (exit 2);
 *   R4 0x14: caps without dataAvail|localityChange|levelLow or without
 *   edgeRising|levelLow -> "caps too low", init returns success doing
 *   nothing more (kept); R4 0x08, W4 0x08 = (v | 0x87) & ~b31; request
 *   locality (R1 0x00; unless (v & 0xA0) == 0xA0: W1 0x00=0x02, R1 0x00
 *   every 10 us, 2 s); R4 0xF00, R1 0xF04.
 *   Commands: runtime/tis.c tis_transmit() (TIS 1.2: 1-byte STS/FIFO, the
 *   framing OpenBSD's tpm_write_tis/tpm_read_tis share with NetBSD), 10 us
 *   between polls.
 *
 * Commands (OpenBSD sends none at attach): Startup(CLEAR) (TPM_RC_INITIALIZE
 * accepted), GetRandom(16); result lines as crb-linux.
 *
 * Exit status: 0 both commands succeeded, 1 a TPM command failed, 2 no TPM
 * (no MSFT0101 device or no memory resource, unsupported start method, TIS
 * probe failed), 3 init or a command failed in the driver.
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/acpi_dev.h"
#include "runtime/time.h"
#include "runtime/tis.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"

#define TAG "crb-openbsd: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

/* OpenBSD errno values */
#define OB_EIO       5
#define OB_EINVAL    22
#define OB_EBUSY     16
#define OB_ETIMEDOUT 60

#define TPM_ACCESS_TMO  2000    /* ms */
#define TPM_HDRSIZE     10
#define CRB_WAIT_MS     200     /* every tpm_waitfor() of the CRB path */

/* TIS-named registers the driver uses on both paths */
#define TPM_ACCESS            0x00
#define TPM_INTERRUPT_ENABLE  0x08
#define TPM_INTF_CAPABILITIES 0x14
#define TPM_ID                0xF00
#define TPM_REV               0xF04
#define TPM_GLOBAL_INT_ENABLE 0x80000000u
#define TPM_INTF_POLLING_INTS 0x87u    /* cmdReady, locChange, dataAvail, stsValid */
#define TPM_CAPSREQ           0x15u    /* dataAvail | localityChange | levelLow */
#define TPM_CAPS_EDGE_OR_LOW  0x30u    /* edgeRising | levelLow */

/* CRB registers */
#define CRB_LOC_STATE  0x00
#define CRB_LOC_CTRL   0x08
#define CRB_CTRL_REQ   0x40
#define CRB_CTRL_STS   0x44
#define CRB_CTRL_CANCEL 0x48
#define CRB_CTRL_START 0x4C
#define CRB_CMD_SIZE   0x58
#define CRB_CMD_LADDR  0x5C
#define CRB_CMD_HADDR  0x60
#define CRB_RSP_SIZE   0x64
#define CRB_RSP_LADDR  0x68
#define CRB_RSP_HADDR  0x6C

#define LOC_STATE_ASSIGNED 0x02
#define LOC_VALID          0x80
#define LOC_REQUEST        0x01
#define LOC_RELEASE        0x02
#define REQ_GO_READY       0x01
#define REQ_GO_IDLE        0x02
#define STS_ERR_BIT        0x01
#define STS_IDLE_BIT       0x02

#define NO_REG 0xFFFFFFFFu

enum mode { MODE_TIS, MODE_CRB };

static enum mode mode;
static uintptr_t bh;                 /* bus_space handle: the _CRS window */
static u32 bbase;                    /* sc_bbase */
static u64 cmd_off, rsp_off;
static u32 cmd_sz, rsp_sz;
static u32 err_reg, err_val;        /* set by fail(); reset per command */
static const char *err_what;
static int err_errno;
static struct tis tis;

static u8 cmd_buf[4096];
static u8 rsp_buf[4096];

static u32 rd4(u32 off) { return mmio_read32(bh + off); }
static u8 rd1(u32 off) { return mmio_read8(bh + off); }
static void wr4(u32 off, u32 v) { mmio_write32(bh + off, v); }
static void wr1(u32 off, u8 v) { mmio_write8(bh + off, v); }

static int fail(int errno_val, const char *what, u32 reg, u32 val)
{
	err_errno = errno_val;
	err_what = what;
	err_reg = reg;
	err_val = val;
	return errno_val;
}

static int expired(u64 start, u32 ms)
{
	return time_ticks() - start >= time_ms_to_ticks(ms);
}

/* tpm_waitfor(): R4; match -> 0; then {R4; match -> 0; DELAY(1)} for msecs */
static int waitfor(u32 off, u32 mask, u32 val, u32 msecs, u32 *last)
{
	u64 start = time_ticks();
	u32 r = rd4(off);

	if ((r & mask) == val)
		goto out;
	do {
		r = rd4(off);
		if ((r & mask) == val)
			goto out;
		udelay(1);
	} while (!expired(start, msecs));
	*last = r;
	return OB_ETIMEDOUT;
out:
	*last = r;
	return 0;
}

/* ---------------- CRB ---------------- */

static int request_locality_crb(u32 *last)
{
	const u32 mask = LOC_STATE_ASSIGNED | LOC_VALID;
	u64 start;
	u32 r;

	r = rd4(CRB_LOC_CTRL);
	wr4(CRB_LOC_CTRL, r | LOC_REQUEST);
	start = time_ticks();
	r = rd4(CRB_LOC_STATE);
	while ((r & mask) != mask && !expired(start, TPM_ACCESS_TMO * 2)) {
		udelay(10);
		r = rd4(CRB_LOC_STATE);
	}
	*last = r;
	return (r & mask) == mask ? 0 : OB_EBUSY;
}

static void release_locality_crb(void)
{
	u32 r = rd4(CRB_LOC_CTRL);

	wr4(CRB_LOC_CTRL, r | LOC_RELEASE);
}

static int init_crb(void)
{
	u32 loc_state, intmask, cmd_lo, cmd_hi, rsp_lo, rsp_hi;

	if (request_locality_crb(&loc_state)) {
		printf(TAG "reg LOC_STATE 0x%08x\n", loc_state);
		printf(TAG "tpm0: CRB loc FAILED, request locality failed: init failed\n");
		return EXIT_TRANSPORT;
	}
	printf(TAG "reg LOC_STATE 0x%08x\n", loc_state);

	/* "ack and disable all interrupts": TPM_INTERRUPT_ENABLE is 0x08 */
	intmask = rd4(TPM_INTERRUPT_ENABLE);
	printf(TAG "reg LOC_CTRL 0x%08x (read as INT_ENABLE; W4 0x08=0x%08x next)\n",
	       intmask, intmask & ~TPM_GLOBAL_INT_ENABLE);
	wr4(TPM_INTERRUPT_ENABLE, intmask & ~TPM_GLOBAL_INT_ENABLE);

	cmd_lo = rd4(CRB_CMD_LADDR);
	cmd_hi = rd4(CRB_CMD_HADDR);
	cmd_sz = rd4(CRB_CMD_SIZE);
	rsp_lo = rd4(CRB_RSP_LADDR);
	rsp_hi = rd4(CRB_RSP_HADDR);
	rsp_sz = rd4(CRB_RSP_SIZE);
	printf(TAG "reg CMD_LADDR 0x%08x\n", cmd_lo);
	printf(TAG "reg CMD_HADDR 0x%08x\n", cmd_hi);
	printf(TAG "reg CMD_SIZE 0x%08x\n", cmd_sz);
	printf(TAG "reg RSP_ADDR 0x%08x%08x\n", rsp_hi, rsp_lo);
	printf(TAG "reg RSP_SIZE 0x%08x\n", rsp_sz);

	cmd_off = (((u64)cmd_hi << 32) | cmd_lo) - bbase;
	rsp_off = (((u64)rsp_hi << 32) | rsp_lo) - bbase;
	printf(TAG "buffers: cmd at window+0x%llx, rsp at window+0x%llx\n", cmd_off, rsp_off);

	release_locality_crb();

	if (cmd_off == rsp_off && cmd_sz != rsp_sz) {
		printf(TAG "tpm0: invalid buffer sizes: init failed\n");
		return EXIT_TRANSPORT;
	}
	/* OpenBSD maps only the window but would access any offset; the guest
	 * refuses buffers outside it */
	if (cmd_off + cmd_sz > 0x1000 || rsp_off + rsp_sz > 0x1000 ||
	    cmd_sz < TPM_HDRSIZE || rsp_sz < TPM_HDRSIZE) {
		printf(TAG "ERROR init: buffers not inside the locality page\n");
		return EXIT_TRANSPORT;
	}
	printf(TAG "tpm0: device 0x%08x rev 0x%x\n", 0u, 0u);   /* sc_devid, sc_rev: never read on CRB */
	return 0;
}

static int write_crb(const u8 *p, u32 len)
{
	u32 r, i;

	if (len > cmd_sz)
		return fail(OB_EINVAL, "requested write length larger than cmd buffer", NO_REG, len);
	r = rd4(CRB_CTRL_STS);
	if (r & STS_ERR_BIT)
		return fail(OB_EIO, "device error bit set", CRB_CTRL_STS, r);
	if (request_locality_crb(&r))
		return fail(OB_EIO, "failed to acquire locality", CRB_LOC_STATE, r);

	wr4(CRB_CTRL_CANCEL, 0);                /* clear cancellation bit */

	r = rd4(CRB_CTRL_STS);
	if (!(r & STS_IDLE_BIT)) {
		printf(TAG "tpm0: asking device to idle\n");
		r = rd4(CRB_CTRL_REQ);
		wr4(CRB_CTRL_REQ, r | REQ_GO_IDLE);
		if (waitfor(CRB_CTRL_STS, STS_IDLE_BIT, STS_IDLE_BIT, CRB_WAIT_MS, &r))
			return fail(OB_EIO, "failed to transition to idle state before write",
				    CRB_CTRL_STS, r);
	}
	r = rd4(CRB_CTRL_REQ);
	wr4(CRB_CTRL_REQ, r | REQ_GO_READY);
	if (waitfor(CRB_CTRL_STS, REQ_GO_READY, 0, CRB_WAIT_MS, &r))
		return fail(OB_EIO, "failed to transition to ready state", CRB_CTRL_STS, r);

	for (i = 0; i < len; i++)
		wr1((u32)cmd_off + i, p[i]);
	wr4(CRB_CTRL_START, 1);
	if (waitfor(CRB_CTRL_START, ~0u, 0, CRB_WAIT_MS, &r))
		return fail(OB_EIO, "timeout waiting for device to process command",
			    CRB_CTRL_START, r);
	return 0;
}

static int read_crb(u8 *p, u32 len, u32 *got)
{
	u32 sz, rc, r, i;

	if (len < TPM_HDRSIZE)
		return fail(OB_EINVAL, "buf len too small", NO_REG, len);
	for (i = 0; i < TPM_HDRSIZE; i++)
		p[i] = rd1((u32)rsp_off + i);
	sz = be32_get(p + 2);
	if (sz < TPM_HDRSIZE || sz > rsp_sz)
		return fail(OB_EIO, "invalid response size", NO_REG, sz);
	if (sz > len) {
		printf(TAG "tpm0: response size too large, truncated to %u\n", len);
		sz = len;
	}
	/* the guest's addition: the rest of the response (see top of file) */
	for (i = TPM_HDRSIZE; i < sz; i++)
		p[i] = rd1((u32)rsp_off + i);
	rc = be32_get(p + 6);
	if (rc != 0)
		printf(TAG "tpm0: command failed (0x%04x)\n", rc);

	r = rd4(CRB_CTRL_REQ);
	wr4(CRB_CTRL_REQ, r | REQ_GO_IDLE);
	if (waitfor(CRB_CTRL_STS, STS_IDLE_BIT, STS_IDLE_BIT, CRB_WAIT_MS, &r))
		printf(TAG "tpm0: failed to transition to idle state after read (CTRL_STS 0x%08x)\n", r);
	release_locality_crb();
	*got = sz;
	return 0;
}

/* ---------------- TIS ---------------- */

static int probe_tis(void)
{
	u64 start = time_ticks();
	u32 caps;
	u8 v;

	for (;;) {
		v = rd1(TPM_ACCESS);
		if (v & TIS_ACCESS_VALID)
			break;
		if (expired(start, 100)) {        /* 10000 x DELAY(10) */
			printf(TAG "tpm0: timed out waiting for validity (ACCESS 0x%02x)\n", v);
			break;
		}
		udelay(10);
	}
	caps = mmio_read32(bh + TPM_INTF_CAPABILITIES);
	printf(TAG "reg ACCESS 0x%02x\n", v);
	printf(TAG "reg INTF_CAPABILITY 0x%08x\n", caps);
	return caps != 0xFFFFFFFFu;
}

static int init_tis(void)
{
	u32 r, intmask, devid;
	u8 rev, a;

	r = rd4(TPM_INTF_CAPABILITIES);
	if ((r & TPM_CAPSREQ) != TPM_CAPSREQ || !(r & TPM_CAPS_EDGE_OR_LOW)) {
		/* returns 0: attach goes on with an untouched TPM */
		printf(TAG "tpm0: caps too low (caps=0x%08x), init returns success\n", r);
		return 0;
	}
	intmask = rd4(TPM_INTERRUPT_ENABLE);
	printf(TAG "reg INT_ENABLE 0x%08x\n", intmask);
	intmask |= TPM_INTF_POLLING_INTS;
	intmask &= ~TPM_GLOBAL_INT_ENABLE;
	wr4(TPM_INTERRUPT_ENABLE, intmask);

	/* tpm_request_locality_tis(): the runtime's TIS locality request with
	 * the driver's 10 us pause and 2 s limit */
	if (tis_request_locality(&tis)) {
		a = (u8)tis.err_val;
		printf(TAG "reg ACCESS 0x%02x\n", a);
		printf(TAG "tpm0: requesting locality failed: init failed\n");
		return EXIT_TRANSPORT;
	}
	devid = rd4(TPM_ID);
	rev = rd1(TPM_REV);
	printf(TAG "tpm0: device 0x%08x rev 0x%x\n", devid, rev);
	return 0;
}

/* ---------------- commands ---------------- */

static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	int err;

	err_reg = NO_REG;
	err_val = 0;
	err_what = NULL;
	*rsp_len = 0;
	if (mode == MODE_TIS) {
		err = tis_transmit(&tis, cmd, len, rsp, cap, rsp_len);
		return err ? err : 0;
	}
	err = write_crb(cmd, len);
	if (!err)
		err = read_crb(rsp, cap, rsp_len);
	return err;
}

static const char *reg_name(u32 off)
{
	if (mode == MODE_TIS) {
		switch (off) {
		case TIS_ACCESS: return "ACCESS";
		case TIS_STS: return "STS";
		}
		return NULL;
	}
	switch (off) {
	case CRB_LOC_STATE: return "LOC_STATE";
	case CRB_CTRL_STS: return "CTRL_STS";
	case CRB_CTRL_START: return "CTRL_START";
	}
	return NULL;
}

static const char *errno_name(int e)
{
	switch (e) {
	case OB_EIO: return "EIO";
	case OB_EINVAL: return "EINVAL";
	case OB_EBUSY: return "EBUSY";
	case OB_ETIMEDOUT: return "ETIMEDOUT";
	}
	return "?";
}

static int transport_error(const char *step, int err)
{
	const char *reg;

	if (mode == MODE_TIS) {
		reg = reg_name(tis.err_reg);
		if (reg)
			printf(TAG "ERROR %s: %s (%s 0x%02x)\n", step, tis_strerror(err), reg,
			       tis.err_val);
		else
			printf(TAG "ERROR %s: %s (0x%x)\n", step, tis_strerror(err), tis.err_val);
		return EXIT_TRANSPORT;
	}
	reg = reg_name(err_reg);
	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%08x), %s (%d)\n", step, err_what, reg, err_val,
		       errno_name(err_errno), err_errno);
	else
		printf(TAG "ERROR %s: %s (%u), %s (%d)\n", step, err_what, err_val,
		       errno_name(err_errno), err_errno);
	return EXIT_TRANSPORT;
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, transport_error, cmd_buf, rsp_buf);
	const struct acpi_tpm2 *t;
	struct acpi_dev dev;
	u32 start_method = 0;
	int st;

	(void)cmdline;
	if (acpi_dsdt_find_hid("MSFT0101", &dev) != 0) {
		printf(TAG "no MSFT0101 device in the DSDT\n");
		return EXIT_NO_TPM;
	}
	if (!dev.has_mem) {
		printf(TAG "MSFT0101 has no memory resource: tpm_match fails\n");
		return EXIT_NO_TPM;
	}
	/* tpm2_start_method(): 0 without a TPM2 table */
	t = (const struct acpi_tpm2 *)acpi_find_table("TPM2");
	if (t && t->hdr.length >= sizeof(*t))
		start_method = t->start_method;
	else
		printf(TAG "no TPM2 table\n");
	if (start_method == ACPI_TPM2_START_FIFO) {
		mode = MODE_TIS;
	} else if (start_method == ACPI_TPM2_START_CRB) {
		mode = MODE_CRB;
	} else {
		printf(TAG "tpm0: unsupported TPM2 start method %u\n", start_method);
		return EXIT_NO_TPM;
	}
	bh = dev.mem_base;
	bbase = dev.mem_base;
	printf(TAG "tpm0 at acpi0: MSFT0101 2.0 (%s) addr 0x%x/0x%x\n",
	       mode == MODE_TIS ? "TIS" : "CRB", dev.mem_base, dev.mem_len);

	if (mode == MODE_TIS) {
		tis_init(&tis, bh);
		tis.poll_us = 10;
		tis.timeout_ms = TPM_ACCESS_TMO;
		if (!probe_tis()) {
			printf(TAG "tpm0: probe failed\n");
			return EXIT_NO_TPM;
		}
		st = init_tis();
	} else {
		st = init_crb();
	}
	if (st)
		return st;

	return tpmcmd_startup_random_pass(&tc);
}
