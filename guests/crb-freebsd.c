/* crb-freebsd.c - a guest that finds and drives the TPM the way FreeBSD's
 * tpm20 drivers do: tpmcrb (sys/dev/tpm/tpm_crb.c) for ACPI start method 7,
 * tpmtis (tpm_tis.c / tpm_tis_core.c) for start method 6, both in polling
 * mode on the i386 build.  Facts (offsets, widths, values, order, timeouts)
 * come from shared/reference/driver-probes.md and the drivers; the code is
 * vmsim's own.
 *
 * Probe (no MMIO): a DSDT device with _HID "MSFT0101" (byte search, see
 * runtime/acpi_dev.h) and an ACPI TPM2 table whose start method is 7
 * (tpmcrb) or 6 (tpmtis).  Anything else: "no TPM", exit 2.  The register
 * window (FreeBSD's SYS_RES_MEMORY) is the device's _CRS Memory32Fixed; a
 * device without one fails attach (ENXIO, exit 3).
 *
 * Register accesses are relative to the window.  OR4(o, b) = R4 o, then
 * W4 o = v | b; AND4 likewise.  A wait (tpm_wait_for_u32) reads once, then
 * up to <timeout in ms> more reads, each followed by a 1 ms pause (one
 * tick, hz = 1000).  Timeouts: A 750 ms, B 2 s, C 200 ms; per command
 * (tpm20_get_timeout): Startup, GetCapability, PCR_Extend and the hash
 * sequence commands C, CreatePrimary/Create/CreateLoaded 40 s, others B.
 *
 * tpmcrb_attach:
 *   request locality  OR4 0x08 |= 1; wait R4 0x00 until (v & 0x82) == 0x82 (C)
 *                     -> ENXIO (6), exit 3
 *   interrupts off    AND4 0x50 &= ~b31 (INT_ENABLE: the write a strict device
 *                     model rejects)
 *   buffers           R4 0x68, R4 0x6C (RSP_ADDR, i386: two reads), R4 0x5C,
 *                     R4 0x60, R4 0x58, R4 0x64
 *   release           OR4 0x08 |= 2 (no wait)
 *   tpmcrb_fix_buff_offsets: an address strictly inside the _CRS window is
 *   made window-relative; equal CMD/RSP addresses need equal sizes (ENXIO)
 * tpmcrb_transmit (one command):
 *   len > CMD_SIZE -> E2BIG (7); R4 0x44 b0 -> EIO (5); request locality
 *   (above, EIO); W4 0x48=0; R4 0x44: idle (b1) clear -> OR4 0x40 |= 2, wait
 *   R4 0x44 b1 set (C); OR4 0x40 |= 1, wait R4 0x44 b0 clear (C: FreeBSD
 *   waits on tpmSts, not on cmdReady); W1 per command byte; W4 0x4C=1; wait
 *   R4 0x4C == 0 (per command); on timeout W4 0x48=1, wait R4 0x4C == 0 (B,
 *   else EIO), W4 0x48=0, and read the response anyway; R1 x10 header;
 *   10 <= size <= 4096 else EIO; R1 for the rest; OR4 0x40 |= 2 (goIdle);
 *   OR4 0x08 |= 2 (release).  Error returns skip goIdle and release.
 * tpmtis (polling: QEMU's and vmsim's _CRS have no IRQ, so attach makes no
 * MMIO access) transmit:
 *   request locality  W1 0x00=0x02; R1 0x00 until (v & 0xA0) == 0xA0, 1 ms
 *                     apart, A (no read before the first pause is skipped)
 *   go ready          W4 0x18=0x40; wait R4 0x18 b6 (B)
 *   write             per burst: R4 0x18 until bits 23:8 != 0 (up to 750000
 *                     reads 1 us apart), W1 0x24 x min(burst, left): every
 *                     byte, the last one too; no expect check in between
 *   after write       wait R4 0x18 b7 (C); R4 0x18: expect (b3) set -> EIO
 *   go                W4 0x18=0x20; wait R4 0x18 for 0x90 (per command); on
 *                     timeout go ready, wait 0x90 (C) else EIO
 *   read              header and rest in bursts (R4 0x18 burstCount, R1 0x24);
 *                     10 <= size <= 4096 else EIO
 *   release           OR1 0x00 |= 0x20 (R1 0x00, W1 0x00 = v | 0x20)
 *   Never commandReady after the response; error returns skip the release.
 *
 * Commands (FreeBSD itself sends none at attach; these are what a user of
 * /dev/tpm0 would send): Startup(CLEAR) (TPM_RC_INITIALIZE accepted),
 * GetRandom(16), GetCapability(TPM_PT_MANUFACTURER); result lines as
 * crb-linux.
 *
 * Exit status: 0 all commands succeeded, 1 a TPM command failed, 2 no TPM
 * (no MSFT0101 device, no TPM2 table, start method not 6/7), 3 attach or
 * transmit failed (ENXIO / EIO / E2BIG).
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/acpi_dev.h"
#include "runtime/time.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"

#define TAG "crb-freebsd: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

/* FreeBSD errno values */
#define FB_EIO   5
#define FB_ENXIO 6
#define FB_E2BIG 7

/* tpm20.h timeouts, in ms (FreeBSD: us) */
#define TIMEOUT_A_MS     750
#define TIMEOUT_B_MS     2000
#define TIMEOUT_C_MS     200
#define TIMEOUT_LONG_MS  40000
#define TPM_BUFSIZE      0x1000
#define TPM_HEADER_SIZE  10

/* command codes tpm20_get_timeout() knows */
#define CC_CREATE_PRIMARY          0x131
#define CC_SEQUENCE_COMPLETE       0x13E
#define CC_CREATE                  0x153
#define CC_SEQUENCE_UPDATE         0x15C
#define CC_EVENT_SEQUENCE_COMPLETE 0x185
#define CC_HASH_SEQUENCE_START     0x186
#define CC_CREATE_LOADED           0x191

/* CRB registers */
#define LOC_STATE   0x00
#define LOC_CTRL    0x08
#define INTF_ID     0x30
#define CTRL_REQ    0x40
#define CTRL_STS    0x44
#define CTRL_CANCEL 0x48
#define CTRL_START  0x4C
#define INT_ENABLE  0x50
#define CMD_SIZE    0x58
#define CMD_LADDR   0x5C
#define CMD_HADDR   0x60
#define RSP_SIZE    0x64
#define RSP_ADDR    0x68
#define RSP_HADDR   0x6C

#define LOC_STATE_ASSIGNED 0x02
#define LOC_STATE_VALID    0x80
#define LOC_CTRL_REQUEST   0x01
#define LOC_CTRL_RELINQUISH 0x02
#define CTRL_REQ_GO_READY  0x01
#define CTRL_REQ_GO_IDLE   0x02
#define CTRL_STS_ERR       0x01
#define CTRL_STS_IDLE      0x02
#define INT_ENABLE_BIT     0x80000000u

/* TIS registers */
#define TIS_ACCESS   0x00
#define TIS_STS      0x18
#define TIS_FIFO     0x24
#define ACCESS_REQ    0x02
#define ACCESS_ACTIVE 0x20
#define ACCESS_VALID  0x80
#define STS_VALID     0x80
#define STS_CMD_RDY   0x40
#define STS_GO        0x20
#define STS_DATA      0x10
#define STS_EXPECT    0x08
#define STS_BURST(v)  (((v) >> 8) & 0xFFFF)
#define BURST_TRIES   750000   /* TPM_TIMEOUT_A used as a count, DELAY(1) apart */

#define NO_REG 0xFFFFFFFFu

enum mode { MODE_CRB, MODE_TIS };

/* transmit errors: the driver's device_printf message and errno */
enum fb_err {
	E_NONE = 0,
	E_TOO_BIG,          /* E2BIG */
	E_ERR_BIT,
	E_LOCALITY,
	E_IDLE,
	E_READY,
	E_CANCEL,
	E_RSP_SIZE,
	E_TIS_READY,
	E_TIS_WRITE,
	E_TIS_VALID,
	E_TIS_EXPECT,
	E_TIS_CMD,
	E_TIS_HEADER,
	E_TIS_READ,
};

static const char *const fb_msg[] = {
	[E_NONE] = "ok",
	[E_TOO_BIG] = "Requested transfer is bigger than buffer size",
	[E_ERR_BIT] = "Device has Error bit set",
	[E_LOCALITY] = "Failed to obtain locality",
	[E_IDLE] = "Failed to transition to idle state",
	[E_READY] = "Failed to transition to ready state",
	[E_CANCEL] = "Device failed to cancel command",
	[E_RSP_SIZE] = "Incorrect response size",
	[E_TIS_READY] = "Failed to switch to ready state",
	[E_TIS_WRITE] = "Failed to write cmd to device",
	[E_TIS_VALID] = "Timeout while waiting for valid bit",
	[E_TIS_EXPECT] = "Device expects more data even though we already sent everything we had",
	[E_TIS_CMD] = "Timeout while waiting for device to process cmd",
	[E_TIS_HEADER] = "Failed to read response header",
	[E_TIS_READ] = "Failed to read response",
};

static enum mode mode;
static uintptr_t win;              /* _CRS window: locality 0 registers */
static u32 win_len;
static uintptr_t cmd_addr, rsp_addr;
static u32 cmd_buf_size, rsp_buf_size;
static u32 err_reg, err_val;        /* set by fail(); reset per command */
static int tis_reported;            /* the first command's ACCESS/STS printed */

static u8 cmd_buf[TPM_BUFSIZE];
static u8 rsp_buf[TPM_BUFSIZE];

/* ---------------- register access (bus_space on the window) ---------------- */

static u32 RD4(u32 off) { return mmio_read32(win + off); }
static u8 RD1(u32 off) { return mmio_read8(win + off); }
static void WR4(u32 off, u32 v) { mmio_write32(win + off, v); }
static void WR1(u32 off, u8 v) { mmio_write8(win + off, v); }

/* returns the value read */
static u32 OR4(u32 off, u32 bits)
{
	u32 v = RD4(off);

	WR4(off, v | bits);
	return v;
}

static void OR1(u32 off, u8 bits)
{
	u8 v = RD1(off);

	WR1(off, (u8)(v | bits));
}

static int fail(int err, u32 reg, u32 val)
{
	err_reg = reg;
	err_val = val;
	return err;
}

/* tpm_wait_for_u32(): check; then while (timeout > 0) { check; pause one
 * tick; timeout -= tick }.  1 = condition met. */
static int wait_for_u32(u32 off, u32 mask, u32 val, u32 timeout_ms, u32 *last)
{
	u32 v = RD4(off);

	if ((v & mask) == val)
		goto ok;
	while (timeout_ms > 0) {
		v = RD4(off);
		if ((v & mask) == val)
			goto ok;
		mdelay(1);
		timeout_ms--;
	}
	if (last)
		*last = v;
	return 0;
ok:
	if (last)
		*last = v;
	return 1;
}

static u32 get_timeout(u32 cc)
{
	switch (cc) {
	case CC_CREATE_PRIMARY:
	case CC_CREATE:
	case CC_CREATE_LOADED:
		return TIMEOUT_LONG_MS;
	case CC_SEQUENCE_COMPLETE:
	case TPM_CC_STARTUP:
	case CC_SEQUENCE_UPDATE:
	case TPM_CC_GET_CAPABILITY:
	case TPM_CC_PCR_EXTEND:
	case CC_EVENT_SEQUENCE_COMPLETE:
	case CC_HASH_SEQUENCE_START:
		return TIMEOUT_C_MS;
	}
	return TIMEOUT_B_MS;
}

/* ---------------- tpmcrb ---------------- */

static int crb_request_locality(u32 *loc_state)
{
	const u32 mask = LOC_STATE_VALID | LOC_STATE_ASSIGNED;

	OR4(LOC_CTRL, LOC_CTRL_REQUEST);
	return wait_for_u32(LOC_STATE, mask, mask, TIMEOUT_C_MS, loc_state);
}

static void crb_relinquish(void)
{
	OR4(LOC_CTRL, LOC_CTRL_RELINQUISH);
}

static int crb_attach(void)
{
	u32 loc_ctrl, loc_state, int_enable, rsp_lo, rsp_hi, cmd_lo, cmd_hi;
	u64 rsp_off, cmd_off;

	loc_ctrl = RD4(LOC_CTRL);              /* OR4's read, done by hand to print it */
	printf(TAG "reg LOC_CTRL 0x%08x (read before the OR4 request)\n", loc_ctrl);
	WR4(LOC_CTRL, loc_ctrl | LOC_CTRL_REQUEST);
	if (!wait_for_u32(LOC_STATE, LOC_STATE_VALID | LOC_STATE_ASSIGNED,
			  LOC_STATE_VALID | LOC_STATE_ASSIGNED, TIMEOUT_C_MS, &loc_state)) {
		printf(TAG "reg LOC_STATE 0x%08x\n", loc_state);
		printf(TAG "ERROR attach: locality 0 request timed out, attach returned ENXIO (%d)\n",
		       FB_ENXIO);
		return EXIT_TRANSPORT;
	}
	printf(TAG "reg LOC_STATE 0x%08x\n", loc_state);

	/* "Disable all interrupts for now" */
	int_enable = RD4(INT_ENABLE);
	printf(TAG "reg INT_ENABLE 0x%08x (W4 0x50=0x%08x next)\n", int_enable,
	       int_enable & ~INT_ENABLE_BIT);
	WR4(INT_ENABLE, int_enable & ~INT_ENABLE_BIT);

	/* i386: RSP_ADDR as two 4-byte reads */
	rsp_lo = RD4(RSP_ADDR);
	rsp_hi = RD4(RSP_HADDR);
	cmd_lo = RD4(CMD_LADDR);
	cmd_hi = RD4(CMD_HADDR);
	cmd_buf_size = RD4(CMD_SIZE);
	rsp_buf_size = RD4(RSP_SIZE);
	crb_relinquish();

	rsp_off = ((u64)rsp_hi << 32) | rsp_lo;
	cmd_off = ((u64)cmd_hi << 32) | cmd_lo;
	printf(TAG "reg RSP_ADDR 0x%016llx\n", rsp_off);
	printf(TAG "reg CMD_LADDR 0x%08x\n", cmd_lo);
	printf(TAG "reg CMD_HADDR 0x%08x\n", cmd_hi);
	printf(TAG "reg CMD_SIZE 0x%08x\n", cmd_buf_size);
	printf(TAG "reg RSP_SIZE 0x%08x\n", rsp_buf_size);

	/* tpmcrb_fix_buff_offsets(): "Emulator returns address in acpi space
	 * instead of an offset" */
	if (cmd_off > win && cmd_off < (u64)win + win_len)
		cmd_off -= win;
	if (rsp_off > win && rsp_off < (u64)win + win_len)
		rsp_off -= win;
	printf(TAG "buffers: cmd at window+0x%llx, rsp at window+0x%llx\n", cmd_off, rsp_off);

	if (rsp_off == cmd_off && cmd_buf_size != rsp_buf_size) {
		printf(TAG "ERROR attach: Overlapping Tx/Rx buffers have different sizes, "
		       "attach returned ENXIO (%d)\n", FB_ENXIO);
		return EXIT_TRANSPORT;
	}
	/* FreeBSD would access window + offset whatever the offset is; the
	 * guest refuses offsets that leave the window instead */
	if (cmd_off >= win_len || rsp_off >= win_len) {
		printf(TAG "ERROR attach: buffer offsets 0x%llx/0x%llx outside the 0x%x-byte window\n",
		       cmd_off, rsp_off, win_len);
		return EXIT_TRANSPORT;
	}
	cmd_addr = win + (uintptr_t)cmd_off;
	rsp_addr = win + (uintptr_t)rsp_off;
	return 0;
}

static int crb_cancel_cmd(void)
{
	u32 v;

	WR4(CTRL_CANCEL, 1);
	if (!wait_for_u32(CTRL_START, ~0u, 0, TIMEOUT_B_MS, &v))
		return fail(E_CANCEL, CTRL_START, v);
	WR4(CTRL_CANCEL, 0);
	return 0;
}

static int crb_transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	u32 v, i, size, cc;
	int err;

	*rsp_len = 0;
	if (len > cmd_buf_size)
		return fail(E_TOO_BIG, NO_REG, len);
	v = RD4(CTRL_STS);
	if (v & CTRL_STS_ERR)
		return fail(E_ERR_BIT, CTRL_STS, v);
	if (!crb_request_locality(&v))
		return fail(E_LOCALITY, LOC_STATE, v);
	WR4(CTRL_CANCEL, 0);                       /* clear cancellation bit */

	if (!(RD4(CTRL_STS) & CTRL_STS_IDLE)) {
		OR4(CTRL_REQ, CTRL_REQ_GO_IDLE);
		if (!wait_for_u32(CTRL_STS, CTRL_STS_IDLE, CTRL_STS_IDLE, TIMEOUT_C_MS, &v))
			return fail(E_IDLE, CTRL_STS, v);
	}
	OR4(CTRL_REQ, CTRL_REQ_GO_READY);
	/* mask = GO_READY (b0) applied to CTRL_STS, value !mask = 0 */
	if (!wait_for_u32(CTRL_STS, CTRL_REQ_GO_READY, 0, TIMEOUT_C_MS, &v))
		return fail(E_READY, CTRL_STS, v);

	cc = be32_get(cmd + 6);
	for (i = 0; i < len; i++)               /* bus_write_region_stream_1 */
		mmio_write8(cmd_addr + i, cmd[i]);
	WR4(CTRL_START, 1);

	if (!wait_for_u32(CTRL_START, ~0u, 0, get_timeout(cc), &v)) {
		printf(TAG "note: Timeout while waiting for device to process cmd (CTRL_START 0x%08x)\n", v);
		err = crb_cancel_cmd();
		if (err)
			return err;
	}

	for (i = 0; i < TPM_HEADER_SIZE; i++)    /* bus_read_region_stream_1 */
		rsp[i] = mmio_read8(rsp_addr + i);
	size = be32_get(rsp + 2);
	if (size > TPM_BUFSIZE || size < TPM_HEADER_SIZE || size > cap)
		return fail(E_RSP_SIZE, NO_REG, size);
	for (i = TPM_HEADER_SIZE; i < size; i++)
		rsp[i] = mmio_read8(rsp_addr + i);

	OR4(CTRL_REQ, CTRL_REQ_GO_IDLE);
	crb_relinquish();
	*rsp_len = size;
	return 0;
}

/* ---------------- tpmtis ---------------- */

static int tis_request_locality(u8 *last)
{
	u32 timeout = TIMEOUT_A_MS;
	u8 v = 0;

	WR1(TIS_ACCESS, ACCESS_REQ);
	while (timeout > 0) {
		v = RD1(TIS_ACCESS);
		if ((v & (ACCESS_ACTIVE | ACCESS_VALID)) == (ACCESS_ACTIVE | ACCESS_VALID)) {
			*last = v;
			return 1;
		}
		mdelay(1);
		timeout--;
	}
	*last = v;
	return 0;
}

static void tis_relinquish(void)
{
	OR1(TIS_ACCESS, ACCESS_ACTIVE);
}

static int tis_go_ready(u32 *last)
{
	WR4(TIS_STS, STS_CMD_RDY);
	return wait_for_u32(TIS_STS, STS_CMD_RDY, STS_CMD_RDY, TIMEOUT_B_MS, last);
}

static u32 tis_wait_for_burst(void)
{
	u32 tries = BURST_TRIES, burst = 0;

	while (tries-- > 0) {
		burst = STS_BURST(RD4(TIS_STS));
		if (burst > 0)
			break;
		udelay(1);
	}
	return burst;
}

static int tis_read_bytes(u32 count, u8 *buf)
{
	u32 burst;

	while (count > 0) {
		burst = tis_wait_for_burst();
		if (burst == 0)
			return 0;
		if (burst > count)
			burst = count;
		count -= burst;
		while (burst-- > 0)
			*buf++ = RD1(TIS_FIFO);
	}
	return 1;
}

static int tis_write_bytes(u32 count, const u8 *buf)
{
	u32 burst;

	while (count > 0) {
		burst = tis_wait_for_burst();
		if (burst == 0)
			return 0;
		if (burst > count)
			burst = count;
		count -= burst;
		while (burst-- > 0)
			WR1(TIS_FIFO, *buf++);
	}
	return 1;
}

static int tis_transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	const u32 avail = STS_DATA | STS_VALID;
	u32 v, size;
	u8 access;

	*rsp_len = 0;
	if (!tis_request_locality(&access))
		return fail(E_LOCALITY, TIS_ACCESS, access);
	if (!tis_go_ready(&v))
		return fail(E_TIS_READY, TIS_STS, v);
	if (!tis_reported) {
		tis_reported = 1;
		printf(TAG "reg ACCESS 0x%02x\n", access);
		printf(TAG "reg STS 0x%08x\n", v);
	}
	if (!tis_write_bytes(len, cmd))
		return fail(E_TIS_WRITE, TIS_STS, RD4(TIS_STS));
	if (!wait_for_u32(TIS_STS, STS_VALID, STS_VALID, TIMEOUT_C_MS, &v))
		return fail(E_TIS_VALID, TIS_STS, v);
	v = RD4(TIS_STS);
	if (v & STS_EXPECT)
		return fail(E_TIS_EXPECT, TIS_STS, v);

	WR4(TIS_STS, STS_GO);
	if (!wait_for_u32(TIS_STS, avail, avail, get_timeout(be32_get(cmd + 6)), &v)) {
		printf(TAG "note: Timeout while waiting for device to process cmd (STS 0x%08x)\n", v);
		/* switching to ready also cancels the command */
		if (!tis_go_ready(&v))
			return fail(E_TIS_CMD, TIS_STS, v);
		if (!wait_for_u32(TIS_STS, avail, avail, TIMEOUT_C_MS, &v))
			return fail(E_TIS_CMD, TIS_STS, v);
	}
	if (!tis_read_bytes(TPM_HEADER_SIZE, rsp))
		return fail(E_TIS_HEADER, TIS_STS, RD4(TIS_STS));
	size = be32_get(rsp + 2);
	if (size > TPM_BUFSIZE || size < TPM_HEADER_SIZE || size > cap)
		return fail(E_RSP_SIZE, NO_REG, size);
	if (!tis_read_bytes(size - TPM_HEADER_SIZE, rsp + TPM_HEADER_SIZE))
		return fail(E_TIS_READ, TIS_STS, RD4(TIS_STS));
	tis_relinquish();
	*rsp_len = size;
	return 0;
}

/* ---------------- commands ---------------- */

static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	err_reg = NO_REG;
	err_val = 0;
	if (mode == MODE_CRB)
		return crb_transmit(cmd, len, rsp, cap, rsp_len);
	return tis_transmit(cmd, len, rsp, cap, rsp_len);
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
	case LOC_STATE: return "LOC_STATE";
	case CTRL_STS: return "CTRL_STS";
	case CTRL_START: return "CTRL_START";
	}
	return NULL;
}

static int transport_error(const char *step, int err)
{
	const char *reg = reg_name(err_reg);
	int errno_val = err == E_TOO_BIG ? FB_E2BIG : FB_EIO;

	if (err < 0 || err >= (int)ARRAY_SIZE(fb_msg))
		err = E_NONE;
	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%08x), %s (%d)\n", step, fb_msg[err], reg, err_val,
		       errno_val == FB_E2BIG ? "E2BIG" : "EIO", errno_val);
	else
		printf(TAG "ERROR %s: %s (%u), %s (%d)\n", step, fb_msg[err], err_val,
		       errno_val == FB_E2BIG ? "E2BIG" : "EIO", errno_val);
	return EXIT_TRANSPORT;
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, transport_error, cmd_buf, rsp_buf);
	const struct acpi_tpm2 *t;
	struct acpi_dev dev;
	int st;

	(void)cmdline;
	/* ACPI_ID_PROBE: the device must exist before any driver probes it */
	if (acpi_dsdt_find_hid("MSFT0101", &dev) != 0) {
		printf(TAG "no MSFT0101 device in the DSDT\n");
		return EXIT_NO_TPM;
	}
	t = (const struct acpi_tpm2 *)acpi_find_table("TPM2");
	if (!t || t->hdr.length < sizeof(*t)) {
		printf(TAG "no TPM2 table\n");
		return EXIT_NO_TPM;
	}
	if (t->start_method == ACPI_TPM2_START_CRB) {
		mode = MODE_CRB;
		printf(TAG "tpmcrb0: Trusted Platform Module 2.0, CRB mode (start method 7)\n");
	} else if (t->start_method == ACPI_TPM2_START_FIFO) {
		mode = MODE_TIS;
		printf(TAG "tpmtis0: Trusted Platform Module 2.0, FIFO mode (start method 6)\n");
	} else {
		printf(TAG "TPM2 start method %u: neither tpmcrb (7) nor tpmtis (6) probes\n",
		       t->start_method);
		return EXIT_NO_TPM;
	}
	if (!dev.has_mem) {
		printf(TAG "ERROR attach: MSFT0101 has no Memory32Fixed resource, ENXIO (%d)\n",
		       FB_ENXIO);
		return EXIT_TRANSPORT;
	}
	win = dev.mem_base;
	win_len = dev.mem_len;
	printf(TAG "window 0x%08x+0x%x (_CRS)\n", dev.mem_base, dev.mem_len);

	if (mode == MODE_CRB) {
		st = crb_attach();
		if (st)
			return st;
	}
	st = tpmcmd_startup(&tc);
	if (!st)
		st = tpmcmd_get_random(&tc, 16);
	if (!st)
		st = tpmcmd_manufacturer(&tc);
	if (st)
		return st;
	printf(TAG "PASS\n");
	return EXIT_OK;
}
