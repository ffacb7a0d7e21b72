/* seabios.c - firmware stage: what SeaBIOS (QEMU 7.2's BIOS) does to the TPM
 * at boot, so that vmsim can leave the device exactly as SeaBIOS leaves it
 * on QEMU before the guest runs.
 *
 * Facts (offsets, widths, values, order, timeouts) come from SeaBIOS
 * src/hw/tpm_drivers.c and src/tcgbios.c (see shared/reference/
 * driver-probes.md) and were checked against QEMU 7.2's -trace of the real
 * SeaBIOS; the code is vmsim's own.  All register addresses are absolute:
 * locality l page = 0xFED40000 + 0x1000 * l.  "R4 0x00" = 4-byte read at
 * 0xFED40000.
 *
 * tpm_setup():
 *   ACPI gate: a TPM2 table (length >= 76) with a log area (LASA and LAML
 *     non-zero), else a TCPA table with one; without either SeaBIOS never
 *     touches the TPM (exit 2).  SeaBIOS also zeroes the log area; this stage
 *     does not (it only reads ACPI).
 *   tpmhw_probe: tis_probe, then crb_probe; the first that answers 1 gets
 *     its init and get_tpm_version.
 *   tpm20_startup: Startup(CLEAR), SelfTest(YES), GetCapability(TPM_CAP_PCRS,
 *     0, 8).  SeaBIOS would then extend PCRs (SMBIOS, option ROMs,
 *     separators) and, at boot, StirRandom/GetRandom/HierarchyChangeAuth;
 *     this stage stops after GetCapability.  Startup answering
 *     TPM_RC_INITIALIZE (0x100) is accepted here (SeaBIOS accepts it only in
 *     coreboot builds; on QEMU the stage runs after the real SeaBIOS).
 *
 * TIS (all "8-bit" registers that are polled are read with 4-byte reads):
 *   probe   poll R4 0x00 until b7 (tpmRegValidSts), 750 ms; R4 0xF00 (TIS
 *           only if neither 0 nor ~0); R4 0x30: type 0xF -> no selector;
 *           type 1 -> not TIS; capFIFO (b13) clear -> not TIS; else
 *           W4 0x30=0 (select FIFO), W4 0x30=0x00080000 (lock)
 *   init    W1 0x08=0 (INT_ENABLE)
 *   version R4 0x30: type 0 -> TPM 2.0; type 0xF -> R4 0x14, interface
 *           version 3 -> TPM 2.0; else TPM 1.2
 *   find active locality   R1 0x00, 0x1000, ... 0x4000 until activeLocality
 *           (b5); none -> activate(0)
 *   transmit
 *     activate  R1 0x00; if activeLocality clear: W1 0x4000, 0x3000, 0x2000,
 *               0x1000, 0x0000 = 0x20; then W1 0x00=0x02 (always); R1 0x00;
 *               only if activeLocality: W1 0x18=0x40, poll R4 0x18 b6 (A)
 *     senddata  find; per burst: R4 0x18 until bits 23:8 != 0 (one D deadline
 *               for the whole command), W1 0x24 x min(burst, left) - every
 *               byte, the last one too; no expect checks
 *     datavalid find; poll R4 0x18 b7 (C)
 *     respready find; W1 0x18=0x20 (tpmGo); poll R4 0x18 b4 (duration)
 *     readresp  find; per byte: R1 0x24, R1 0x18, stop when dataAvail (b4)
 *               is clear or the buffer is full
 *     (response shorter than 10 bytes -> error, no ready)
 *     ready     find; W1 0x18=0x40; poll R4 0x18 b6 (B)
 *   Leaves locality 0 active (ACCESS 0xA1 on QEMU), commandReady.
 *   Timeouts (after tpm20_set_timeouts): A 750 ms, B 2 s, C 200 ms, D 30 ms;
 *   durations short 750 ms, medium 2 s, long 2 s.
 *
 * CRB:
 *   probe   poll R4 0x00 until (v & 0x90) == 0x80 (SeaBIOS's "valid, locality
 *           not assigned" mask), 30 ms; R4 0x30: unless type 0xF: type != 1
 *           and capCRB (b14) clear -> not CRB, else W4 0x30=0x00020000
 *           (select CRB), W4 0x30=0x00080000 (lock); R4 0x60 must be 0;
 *           R4 0x68, R4 0x6C: high dword must be 0
 *   init    R4 0x5C (command buffer), R4 0x58 (its size), R4 0x68 (response
 *           buffer), R4 0x64
 *   transmit
 *     activate  W1 0x08=1 (request locality 0; no wait)
 *     senddata  length > CMD_SIZE -> error; command copied to the buffer
 *               with 1-byte writes (rep movsb); W4 0x4C=1
 *     respready poll R4 0x4C until b0 == 0 (duration)
 *     readresp  R4 0x44: b0 -> error; header: R4 +0, R2 +4 (6 bytes; size
 *               < 6 -> error); the rest, min(size, buffer) - 6 bytes, with
 *               1-byte reads from +6
 *     (response shorter than 10 bytes -> error, no ready)
 *     ready     W4 0x40=1; poll R4 0x40 until b0 == 0 (C)
 *   Never goIdle, never relinquish: leaves locality 0 assigned, cmdReady.
 *   Timeouts: SeaBIOS's tpm20_set_timeouts only updates the TIS driver's
 *   table, so CRB keeps the defaults: C 750 ms; durations short 2 s,
 *   medium 20 s, long 60 s.
 *
 * Deviation for safety: SeaBIOS copies to/from whatever CMD_LADDR/RSP_ADDR
 * say; this stage stops with a transport error (exit 3) when either is 0,
 * a size is below 10 or a buffer wraps past 4 GiB.
 *
 * Exit status: 0 TPM found, Startup answered 0 or 0x100 and SelfTest and
 * GetCapability succeeded; 1 the TPM answered another error code; 2 no TPM
 * found (no ACPI table with a log area, neither probe matched, or a TPM 1.2);
 * 3 transport error (SeaBIOS's tpmhw_transmit failing, or unusable buffers).
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/time.h"
#include "runtime/tpm2.h"

#define TAG "seabios-stage: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define TPM_BASE 0xFED40000u
#define REG(locty, off) ((uintptr_t)TPM_BASE + ((uintptr_t)(locty) << 12) + (off))

/* TIS registers */
#define TIS_ACCESS        0x00
#define TIS_INT_ENABLE    0x08
#define TIS_INTF_CAP      0x14
#define TIS_STS           0x18
#define TIS_DATA_FIFO     0x24
#define TIS_IFACE_ID      0x30
#define TIS_DID_VID       0xF00

#define ACCESS_VALID      0x80
#define ACCESS_ACTIVE     0x20
#define ACCESS_REQUEST    0x02
#define STS_VALID         0x80
#define STS_CMD_READY     0x40
#define STS_GO            0x20
#define STS_DATA_AVAIL    0x10

/* CRB registers */
#define CRB_LOC_STATE     0x00
#define CRB_LOC_CTRL      0x08
#define CRB_INTF_ID       0x30
#define CRB_CTRL_REQ      0x40
#define CRB_CTRL_STS      0x44
#define CRB_CTRL_START    0x4C
#define CRB_CMD_SIZE      0x58
#define CRB_CMD_LADDR     0x5C
#define CRB_CMD_HADDR     0x60
#define CRB_RSP_SIZE      0x64
#define CRB_RSP_ADDR      0x68

#define IFACE_TYPE(v)     ((v) & 0xF)
#define IFACE_CAP_FIFO    (1u << 13)
#define IFACE_CAP_CRB     (1u << 14)
#define IFACE_SEL_CRB     (1u << 17)
#define IFACE_SEL_LOCK    (1u << 19)

#define TPM_CC_SELF_TEST  0x00000143
#define TPM_CAP_PCRS      0x00000005

enum duration { DUR_SHORT, DUR_MEDIUM, DUR_LONG };

/* timeouts in ms: A, B, C, D and the three command durations */
struct timeouts {
	u32 a, b, c, d;
	u32 dur[3];
};

/* TIS after tpm20_set_timeouts (TIS2 defaults, TPM 2 durations) */
static const struct timeouts tis_timeouts = { 750, 2000, 200, 30, { 750, 2000, 2000 } };
/* CRB: tpm20_set_timeouts does not reach it; TIS 1.2 defaults remain */
static const struct timeouts crb_timeouts = { 750, 2000, 750, 750, { 2000, 20000, 60000 } };

enum driver { DRV_NONE, DRV_TIS, DRV_CRB };

static enum driver drv;
static const struct timeouts *to;
static uintptr_t crb_cmd, crb_rsp;
static u32 crb_cmd_size, crb_rsp_size;

/* ---------------- register access ---------------- */

static u8 rd8(uintptr_t a) { return mmio_read8(a); }
static u32 rd32(uintptr_t a) { return mmio_read32(a); }
static void wr8(uintptr_t a, u8 v) { mmio_write8(a, v); }
static void wr32(uintptr_t a, u32 v) { mmio_write32(a, v); }

/* wait_reg8(): deadline first, then { R4 reg; low byte & mask == expect ->
 * 0; deadline passed -> 1 }.  *last gets the last 32-bit value read. */
static int wait_reg8(uintptr_t reg, u32 ms, u8 mask, u8 expect, u32 *last)
{
	u64 start = time_ticks();
	u64 limit = time_ms_to_ticks(ms);
	u32 v;

	for (;;) {
		v = rd32(reg);
		if (((u8)v & mask) == expect) {
			if (last)
				*last = v;
			return 0;
		}
		if (time_ticks() - start >= limit)
			break;
	}
	if (last)
		*last = v;
	return 1;
}

/* ---------------- TIS ---------------- */

static int tis_probe(void)
{
	u32 access, didvid, ifaceid;
	int rc = 0;

	if (wait_reg8(REG(0, TIS_ACCESS), 750, ACCESS_VALID, ACCESS_VALID, &access)) {
		printf(TAG "TIS probe: ACCESS 0x%08x never valid (b7)\n", access);
		return 0;
	}
	didvid = rd32(REG(0, TIS_DID_VID));
	if (didvid != 0 && didvid != 0xFFFFFFFFu)
		rc = 1;
	ifaceid = rd32(REG(0, TIS_IFACE_ID));
	printf(TAG "TIS probe: ACCESS 0x%08x DID_VID 0x%08x INTERFACE_ID 0x%08x\n",
	       access, didvid, ifaceid);
	if (IFACE_TYPE(ifaceid) != 0xF) {
		if (IFACE_TYPE(ifaceid) == 1) {
			printf(TAG "TIS probe: not TIS (INTERFACE_ID 0x%08x)\n", ifaceid);
			return 0;
		}
		if (!(ifaceid & IFACE_CAP_FIFO)) {
			printf(TAG "TIS probe: not TIS, capFIFO clear (INTERFACE_ID 0x%08x)\n", ifaceid);
			return 0;
		}
		wr32(REG(0, TIS_IFACE_ID), 0);
		wr32(REG(0, TIS_IFACE_ID), IFACE_SEL_LOCK);
		printf(TAG "TIS probe: FIFO selected and locked (W4 0x30=0, W4 0x30=0x%08x)\n",
		       IFACE_SEL_LOCK);
	}
	if (!rc)
		printf(TAG "TIS probe: not TIS (DID_VID 0x%08x)\n", didvid);
	return rc;
}

static void tis_init(void)
{
	wr8(REG(0, TIS_INT_ENABLE), 0);
	printf(TAG "TIS init: W1 0x08=0 (INT_ENABLE)\n");
}

static int tis_tpm_version(void)
{
	u32 ifaceid = rd32(REG(0, TIS_IFACE_ID));
	u32 cap;

	if (IFACE_TYPE(ifaceid) == 0xF) {
		cap = rd32(REG(0, TIS_INTF_CAP));
		printf(TAG "TIS version: INTERFACE_ID 0x%08x INTF_CAPABILITY 0x%08x\n", ifaceid, cap);
		return ((cap >> 28) & 7) == 3 ? 2 : 1;
	}
	printf(TAG "TIS version: INTERFACE_ID 0x%08x\n", ifaceid);
	return IFACE_TYPE(ifaceid) == 0 ? 2 : 1;
}

static int tis_activate(u8 locty)
{
	int l;

	if (!(rd8(REG(locty, TIS_ACCESS)) & ACCESS_ACTIVE))
		for (l = 4; l >= 0; l--)
			wr8(REG(l, TIS_ACCESS), ACCESS_ACTIVE);    /* release */
	wr8(REG(locty, TIS_ACCESS), ACCESS_REQUEST);
	if (rd8(REG(locty, TIS_ACCESS)) & ACCESS_ACTIVE) {
		wr8(REG(locty, TIS_STS), STS_CMD_READY);
		return wait_reg8(REG(locty, TIS_STS), to->a, STS_CMD_READY, STS_CMD_READY, NULL);
	}
	return 0;
}

static u8 tis_find_active_locality(void)
{
	u8 l;

	for (l = 0; l <= 4; l++)
		if (rd8(REG(l, TIS_ACCESS)) & ACCESS_ACTIVE)
			return l;
	tis_activate(0);
	return 0;
}

static int tis_senddata(const u8 *data, u32 len)
{
	u8 l = tis_find_active_locality();
	u64 start = time_ticks();
	u64 limit = time_ms_to_ticks(to->d);
	u32 offset = 0;
	u16 burst = 0;

	do {
		while (burst == 0) {
			burst = (u16)(rd32(REG(l, TIS_STS)) >> 8);
			if (burst == 0 && time_ticks() - start >= limit)
				break;
		}
		if (burst == 0)
			return 1;
		for (;;) {
			wr8(REG(l, TIS_DATA_FIFO), data[offset++]);
			burst--;
			if (burst == 0 || offset == len)
				break;
		}
	} while (offset != len);
	return 0;
}

static int tis_waitdatavalid(void)
{
	u8 l = tis_find_active_locality();

	return wait_reg8(REG(l, TIS_STS), to->c, STS_VALID, STS_VALID, NULL);
}

static int tis_waitrespready(enum duration d)
{
	u8 l = tis_find_active_locality();

	wr8(REG(l, TIS_STS), STS_GO);
	return wait_reg8(REG(l, TIS_STS), to->dur[d], STS_DATA_AVAIL, STS_DATA_AVAIL, NULL);
}

static int tis_readresp(u8 *buf, u32 *len)
{
	u8 l = tis_find_active_locality();
	u32 offset = 0;

	while (offset < *len) {
		buf[offset++] = rd8(REG(l, TIS_DATA_FIFO));
		if (!(rd8(REG(l, TIS_STS)) & STS_DATA_AVAIL))
			break;
	}
	*len = offset;
	return 0;
}

static int tis_ready(void)
{
	u8 l = tis_find_active_locality();

	wr8(REG(l, TIS_STS), STS_CMD_READY);
	return wait_reg8(REG(l, TIS_STS), to->b, STS_CMD_READY, STS_CMD_READY, NULL);
}

/* ---------------- CRB ---------------- */

static int crb_probe(void)
{
	u32 loc_state, ifaceid, haddr, rsp_lo, rsp_hi;

	if (wait_reg8(REG(0, CRB_LOC_STATE), 30, 0x90, 0x80, &loc_state)) {
		printf(TAG "CRB probe: LOC_STATE 0x%08x, (v & 0x90) != 0x80\n", loc_state);
		return 0;
	}
	ifaceid = rd32(REG(0, CRB_INTF_ID));
	printf(TAG "CRB probe: LOC_STATE 0x%08x INTF_ID 0x%08x\n", loc_state, ifaceid);
	if (IFACE_TYPE(ifaceid) != 0xF) {
		if (IFACE_TYPE(ifaceid) != 1 && !(ifaceid & IFACE_CAP_CRB)) {
			printf(TAG "CRB probe: not CRB, capCRB clear (INTF_ID 0x%08x)\n", ifaceid);
			return 0;
		}
		wr32(REG(0, CRB_INTF_ID), IFACE_SEL_CRB);
		wr32(REG(0, CRB_INTF_ID), IFACE_SEL_LOCK);
		printf(TAG "CRB probe: CRB selected and locked (W4 0x30=0x%08x, W4 0x30=0x%08x)\n",
		       IFACE_SEL_CRB, IFACE_SEL_LOCK);
	}
	haddr = rd32(REG(0, CRB_CMD_HADDR));
	if (haddr) {
		printf(TAG "CRB probe: not usable, CMD_HADDR 0x%08x\n", haddr);
		return 0;
	}
	/* SeaBIOS's 8-byte read: low dword, then high dword */
	rsp_lo = rd32(REG(0, CRB_RSP_ADDR));
	rsp_hi = rd32(REG(0, CRB_RSP_ADDR + 4));
	if (rsp_hi) {
		printf(TAG "CRB probe: not usable, RSP_ADDR 0x%08x%08x above 4 GiB\n", rsp_hi, rsp_lo);
		return 0;
	}
	printf(TAG "CRB probe: CMD_HADDR 0x%08x RSP_ADDR 0x%08x%08x\n", haddr, rsp_hi, rsp_lo);
	return 1;
}

static int buffer_usable(uintptr_t addr, u32 size)
{
	return addr != 0 && size >= TPM2_HEADER_SIZE && (u64)addr + size <= 0x100000000ull;
}

static int crb_init(void)
{
	crb_cmd = rd32(REG(0, CRB_CMD_LADDR));
	crb_cmd_size = rd32(REG(0, CRB_CMD_SIZE));
	crb_rsp = rd32(REG(0, CRB_RSP_ADDR));
	crb_rsp_size = rd32(REG(0, CRB_RSP_SIZE));    /* read, never used by SeaBIOS */
	printf(TAG "CRB init: CMD_LADDR 0x%08x CMD_SIZE 0x%08x RSP_ADDR 0x%08x RSP_SIZE 0x%08x\n",
	       (u32)crb_cmd, crb_cmd_size, (u32)crb_rsp, crb_rsp_size);
	if (!buffer_usable(crb_cmd, crb_cmd_size) || !buffer_usable(crb_rsp, crb_rsp_size)) {
		printf(TAG "ERROR CRB init: unusable command/response buffer registers\n");
		return -1;
	}
	return 0;
}

static int crb_activate(void)
{
	wr8(REG(0, CRB_LOC_CTRL), 1);
	return 0;
}

static int crb_senddata(const u8 *data, u32 len)
{
	u32 i;

	if (len > crb_cmd_size)
		return 1;
	for (i = 0; i < len; i++)
		wr8(crb_cmd + i, data[i]);
	wr32(REG(0, CRB_CTRL_START), 1);
	return 0;
}

static int crb_waitrespready(enum duration d)
{
	return wait_reg8(REG(0, CRB_CTRL_START), to->dur[d], 1, 0, NULL);
}

static int crb_readresp(u8 *buf, u32 *len)
{
	u32 w, expected, i;
	u16 h;

	if (rd32(REG(0, CRB_CTRL_STS)) & 1)
		return 1;
	if (*len < 6)
		return 1;
	/* memcpy(buf, rsp, 6) as compiled: a 4-byte and a 2-byte read */
	w = rd32(crb_rsp);
	h = mmio_read16(crb_rsp + 4);
	buf[0] = (u8)w;
	buf[1] = (u8)(w >> 8);
	buf[2] = (u8)(w >> 16);
	buf[3] = (u8)(w >> 24);
	buf[4] = (u8)h;
	buf[5] = (u8)(h >> 8);
	expected = be32_get(buf + 2);
	if (expected < 6)
		return 1;
	if (*len > expected)
		*len = expected;
	/* the stage's own bound (SeaBIOS has none): stay inside the buffer */
	if (*len > crb_rsp_size)
		*len = crb_rsp_size;
	for (i = 6; i < *len; i++)
		buf[i] = rd8(crb_rsp + i);
	return 0;
}

static int crb_ready(void)
{
	wr32(REG(0, CRB_CTRL_REQ), 1);
	return wait_reg8(REG(0, CRB_CTRL_REQ), to->c, 1, 0, NULL);
}

/* ---------------- tpmhw_transmit ---------------- */

/* Returns 0, or -1 like SeaBIOS (the step that failed goes to *what). */
static int tpmhw_transmit(const u8 *cmd, u8 *rsp, u32 *rsp_len, enum duration d,
			  const char **what)
{
	u32 len = be32_get(cmd + 2);

	if (drv == DRV_TIS) {
		if (tis_activate(0)) {
			*what = "activate: commandReady timed out";
			return -1;
		}
		if (tis_senddata(cmd, len)) {
			*what = "senddata: burstCount stayed 0";
			return -1;
		}
		if (tis_waitdatavalid()) {
			*what = "waitdatavalid: stsValid timed out";
			return -1;
		}
		if (tis_waitrespready(d)) {
			*what = "waitrespready: dataAvail timed out";
			return -1;
		}
		tis_readresp(rsp, rsp_len);
		if (*rsp_len < TPM2_HEADER_SIZE) {
			*what = "readresp: response shorter than 10 bytes";
			return -1;
		}
		(void)tis_ready();
		return 0;
	}
	(void)crb_activate();
	if (crb_senddata(cmd, len)) {
		*what = "senddata: command larger than CMD_SIZE";
		return -1;
	}
	if (crb_waitrespready(d)) {
		*what = "waitrespready: CTRL_START still set";
		return -1;
	}
	if (crb_readresp(rsp, rsp_len)) {
		*what = "readresp: tpmSts set or bad response size";
		return -1;
	}
	if (*rsp_len < TPM2_HEADER_SIZE) {
		*what = "readresp: response shorter than 10 bytes";
		return -1;
	}
	(void)crb_ready();
	return 0;
}

/* ---------------- tcgbios ---------------- */

static u8 cmd_buf[32];
static u8 rsp_buf[128];

static int transport_error(const char *step, const char *what)
{
	printf(TAG "ERROR %s: %s\n", step, what);
	return EXIT_TRANSPORT;
}

/* tpm_build_and_send_cmd(): 64-byte response buffer; the result is the
 * response code, or -1 on a transport error */
static int simple_cmd(const char *step, u32 len, enum duration d, u32 *rc)
{
	const char *what = "?";
	u32 rsp_len = 64;

	if (len == 0)
		return transport_error(step, "command does not fit the buffer");
	memset(rsp_buf, 0, sizeof(rsp_buf));
	if (tpmhw_transmit(cmd_buf, rsp_buf, &rsp_len, d, &what))
		return transport_error(step, what);
	*rc = be32_get(rsp_buf + 6);
	return 0;
}

static int startup(void)
{
	u32 rc, len = tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR);
	int st = simple_cmd("Startup(CLEAR)", len, DUR_SHORT, &rc);

	if (st)
		return st;
	if (rc == TPM_RC_INITIALIZE) {
		printf(TAG "Startup(CLEAR) rc=0x%03x %s (already started, accepted)\n",
		       rc, tpm2_rc_name(rc));
		return 0;
	}
	printf(TAG "Startup(CLEAR) rc=0x%03x %s\n", rc, tpm2_rc_name(rc));
	return rc == TPM_RC_SUCCESS ? 0 : EXIT_TPM_FAIL;
}

static int self_test(void)
{
	struct tpm2_cmd c;
	u32 rc, len;
	int st;

	tpm2_cmd_begin(&c, cmd_buf, sizeof(cmd_buf), TPM_ST_NO_SESSIONS, TPM_CC_SELF_TEST);
	tpm2_put_u8(&c, 1);                  /* fullTest = YES */
	len = tpm2_cmd_end(&c);
	st = simple_cmd("SelfTest(YES)", len, DUR_LONG, &rc);
	if (st)
		return st;
	printf(TAG "SelfTest(YES) rc=0x%03x %s\n", rc, tpm2_rc_name(rc));
	return rc == TPM_RC_SUCCESS ? 0 : EXIT_TPM_FAIL;
}

static const char *alg_name(u16 alg)
{
	switch (alg) {
	case 0x0004: return "sha1";
	case 0x000B: return "sha256";
	case 0x000C: return "sha384";
	case 0x000D: return "sha512";
	case 0x0012: return "sm3_256";
	}
	return "alg";
}

/* tpm20_get_pcrbanks(): GetCapability(TPM_CAP_PCRS, 0, 8), 128-byte buffer */
static int get_pcr_banks(void)
{
	const char *what = "?";
	struct tpm2_rsp r;
	u32 rsp_len = 128, size, count, i, j;

	tpm2_build_get_capability(cmd_buf, sizeof(cmd_buf), TPM_CAP_PCRS, 0, 8);
	if (tpmhw_transmit(cmd_buf, rsp_buf, &rsp_len, DUR_SHORT, &what))
		return transport_error("GetCapability(PCRS)", what);
	size = be32_get(rsp_buf + 2);
	if (size > 128) {
		printf(TAG "ERROR GetCapability(PCRS): response of %u bytes, buffer 128\n", size);
		return EXIT_TRANSPORT;
	}
	if (tpm2_rsp_begin(&r, rsp_buf, rsp_len) != 0) {
		printf(TAG "ERROR GetCapability(PCRS): malformed response header\n");
		return EXIT_TRANSPORT;
	}
	printf(TAG "GetCapability(PCRS) rc=0x%03x %s", r.rc, tpm2_rc_name(r.rc));
	if (r.rc != TPM_RC_SUCCESS) {
		printf("\n");
		return EXIT_TPM_FAIL;
	}
	(void)tpm2_get_u8(&r);                    /* moreData */
	(void)tpm2_get_u32(&r);                   /* capability */
	count = tpm2_get_u32(&r);
	for (i = 0; i < count && !r.err; i++) {
		u16 alg = tpm2_get_u16(&r);
		u8 n = tpm2_get_u8(&r);

		printf(" %s=", alg_name(alg));
		for (j = 0; j < n && !r.err; j++)
			printf("%02x", tpm2_get_u8(&r));
	}
	printf("\n");
	if (r.err) {
		printf(TAG "ERROR GetCapability(PCRS): malformed PCR selection\n");
		return EXIT_TRANSPORT;
	}
	return 0;
}

/* ---------------- ACPI gate (tpm_tpm2_probe / tpm_tcpa_probe) ---------------- */

static u32 get32(const void *base, u32 off)
{
	u32 v;

	memcpy(&v, (const u8 *)base + off, 4);
	return v;
}

static u64 get64(const void *base, u32 off)
{
	u64 v;

	memcpy(&v, (const u8 *)base + off, 8);
	return v;
}

static int acpi_log_area(void)
{
	const struct acpi_header *h = acpi_find_table("TPM2");
	u32 laml;
	u64 lasa;

	if (h && h->length >= 76) {
		laml = get32(h, 64);
		lasa = get64(h, 68);
		if (lasa && laml) {
			printf(TAG "ACPI TPM2 table: start method %u, log area 0x%08llx (0x%x bytes)\n",
			       get32(h, 48), lasa, laml);
			return 0;
		}
	}
	h = acpi_find_table("TCPA");
	if (h && h->length >= 50) {
		laml = get32(h, 38);
		lasa = get64(h, 42);
		if (lasa && laml) {
			printf(TAG "ACPI TCPA table: log area 0x%08llx (0x%x bytes)\n", lasa, laml);
			return 0;
		}
	}
	return -1;
}

int guest_main(const char *cmdline)
{
	int st, version;

	(void)cmdline;
	if (acpi_log_area()) {
		printf(TAG "no ACPI TPM2/TCPA table with a log area: SeaBIOS leaves the TPM alone\n");
		return EXIT_NO_TPM;
	}

	/* tpmhw_probe() */
	if (tis_probe()) {
		drv = DRV_TIS;
		printf(TAG "TIS found\n");
		tis_init();
		version = tis_tpm_version();
	} else if (crb_probe()) {
		drv = DRV_CRB;
		printf(TAG "CRB found\n");
		if (crb_init())
			return EXIT_TRANSPORT;
		version = 2;
	} else {
		printf(TAG "no TPM found\n");
		return EXIT_NO_TPM;
	}
	if (version != 2) {
		printf(TAG "TPM 1.2: not handled by this stage\n");
		return EXIT_NO_TPM;
	}

	/* tpm20_startup() */
	to = drv == DRV_TIS ? &tis_timeouts : &crb_timeouts;
	st = startup();
	if (!st)
		st = self_test();
	if (!st)
		st = get_pcr_banks();
	if (st)
		return st;
	if (drv == DRV_TIS)
		printf(TAG "done: TIS, locality 0 active, commandReady\n");
	else
		printf(TAG "done: CRB, locality 0 assigned, cmdReady (not idle)\n");
	return EXIT_OK;
}
