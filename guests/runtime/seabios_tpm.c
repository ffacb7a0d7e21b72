/* seabios_tpm.c - SeaBIOS's TPM hardware driver (src/hw/tpm_drivers.c) and
 * the ACPI gate of tpm_setup() (src/tcgbios.c), shared by the firmware stage
 * (../firmware/stage/seabios.c) and the probe-seabios guest.  The access
 * sequences are documented in seabios_tpm.h and firmware/stage/README.md;
 * facts from SeaBIOS, checked against QEMU 7.2's -trace of the real
 * SeaBIOS; the code is vmsim's own.  Every console line starts with sb_tag.
 */
#include "seabios_tpm.h"
#include "acpi.h"
#include "console.h"
#include "io.h"
#include "string.h"
#include "time.h"
#include "tpm2.h"

const char *sb_tag;     /* set by the caller; bss, so the image keeps no .data */

static const char *tag(void)
{
	return sb_tag ? sb_tag : "";
}

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

/* timeouts in ms: A, B, C, D and the three command durations */
struct timeouts {
	u32 a, b, c, d;
	u32 dur[3];
};

/* TIS after tpm20_set_timeouts (TIS2 defaults, TPM 2 durations) */
static const struct timeouts tis_timeouts = { 750, 2000, 200, 30, { 750, 2000, 2000 } };
/* CRB: tpm20_set_timeouts does not reach it; TIS 1.2 defaults remain */
static const struct timeouts crb_timeouts = { 750, 2000, 750, 750, { 2000, 20000, 60000 } };

static enum sb_driver drv;
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

int sb_tis_probe(void)
{
	u32 access, didvid, ifaceid;
	int rc = 0;

	if (wait_reg8(REG(0, TIS_ACCESS), 750, ACCESS_VALID, ACCESS_VALID, &access)) {
		printf("%sTIS probe: ACCESS 0x%08x never valid (b7)\n", tag(), access);
		return 0;
	}
	didvid = rd32(REG(0, TIS_DID_VID));
	if (didvid != 0 && didvid != 0xFFFFFFFFu)
		rc = 1;
	ifaceid = rd32(REG(0, TIS_IFACE_ID));
	printf("%sTIS probe: ACCESS 0x%08x DID_VID 0x%08x INTERFACE_ID 0x%08x\n", tag(),
	       access, didvid, ifaceid);
	if (IFACE_TYPE(ifaceid) != 0xF) {
		if (IFACE_TYPE(ifaceid) == 1) {
			printf("%sTIS probe: not TIS (INTERFACE_ID 0x%08x)\n", tag(), ifaceid);
			return 0;
		}
		if (!(ifaceid & IFACE_CAP_FIFO)) {
			printf("%sTIS probe: not TIS, capFIFO clear (INTERFACE_ID 0x%08x)\n", tag(), ifaceid);
			return 0;
		}
		wr32(REG(0, TIS_IFACE_ID), 0);
		wr32(REG(0, TIS_IFACE_ID), IFACE_SEL_LOCK);
		printf("%sTIS probe: FIFO selected and locked (W4 0x30=0, W4 0x30=0x%08x)\n", tag(),
		       IFACE_SEL_LOCK);
	}
	if (!rc)
		printf("%sTIS probe: not TIS (DID_VID 0x%08x)\n", tag(), didvid);
	return rc;
}

void sb_tis_init(void)
{
	wr8(REG(0, TIS_INT_ENABLE), 0);
	printf("%sTIS init: W1 0x08=0 (INT_ENABLE)\n", tag());
}

int sb_tis_tpm_version(void)
{
	u32 ifaceid = rd32(REG(0, TIS_IFACE_ID));
	u32 cap;

	if (IFACE_TYPE(ifaceid) == 0xF) {
		cap = rd32(REG(0, TIS_INTF_CAP));
		printf("%sTIS version: INTERFACE_ID 0x%08x INTF_CAPABILITY 0x%08x\n", tag(), ifaceid, cap);
		return ((cap >> 28) & 7) == 3 ? 2 : 1;
	}
	printf("%sTIS version: INTERFACE_ID 0x%08x\n", tag(), ifaceid);
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

static int tis_waitrespready(enum sb_duration d)
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

int sb_crb_probe(void)
{
	u32 loc_state, ifaceid, haddr, rsp_lo, rsp_hi;

	if (wait_reg8(REG(0, CRB_LOC_STATE), 30, 0x90, 0x80, &loc_state)) {
		printf("%sCRB probe: LOC_STATE 0x%08x, (v & 0x90) != 0x80\n", tag(), loc_state);
		return 0;
	}
	ifaceid = rd32(REG(0, CRB_INTF_ID));
	printf("%sCRB probe: LOC_STATE 0x%08x INTF_ID 0x%08x\n", tag(), loc_state, ifaceid);
	if (IFACE_TYPE(ifaceid) != 0xF) {
		if (IFACE_TYPE(ifaceid) != 1 && !(ifaceid & IFACE_CAP_CRB)) {
			printf("%sCRB probe: not CRB, capCRB clear (INTF_ID 0x%08x)\n", tag(), ifaceid);
			return 0;
		}
		wr32(REG(0, CRB_INTF_ID), IFACE_SEL_CRB);
		wr32(REG(0, CRB_INTF_ID), IFACE_SEL_LOCK);
		printf("%sCRB probe: CRB selected and locked (W4 0x30=0x%08x, W4 0x30=0x%08x)\n", tag(),
		       IFACE_SEL_CRB, IFACE_SEL_LOCK);
	}
	haddr = rd32(REG(0, CRB_CMD_HADDR));
	if (haddr) {
		printf("%sCRB probe: not usable, CMD_HADDR 0x%08x\n", tag(), haddr);
		return 0;
	}
	/* SeaBIOS's 8-byte read: low dword, then high dword */
	rsp_lo = rd32(REG(0, CRB_RSP_ADDR));
	rsp_hi = rd32(REG(0, CRB_RSP_ADDR + 4));
	if (rsp_hi) {
		printf("%sCRB probe: not usable, RSP_ADDR 0x%08x%08x above 4 GiB\n", tag(), rsp_hi, rsp_lo);
		return 0;
	}
	printf("%sCRB probe: CMD_HADDR 0x%08x RSP_ADDR 0x%08x%08x\n", tag(), haddr, rsp_hi, rsp_lo);
	return 1;
}

static int buffer_usable(uintptr_t addr, u32 size)
{
	return addr != 0 && size >= TPM2_HEADER_SIZE && (u64)addr + size <= 0x100000000ull;
}

int sb_crb_init(void)
{
	crb_cmd = rd32(REG(0, CRB_CMD_LADDR));
	crb_cmd_size = rd32(REG(0, CRB_CMD_SIZE));
	crb_rsp = rd32(REG(0, CRB_RSP_ADDR));
	crb_rsp_size = rd32(REG(0, CRB_RSP_SIZE));    /* read, never used by SeaBIOS */
	printf("%sCRB init: CMD_LADDR 0x%08x CMD_SIZE 0x%08x RSP_ADDR 0x%08x RSP_SIZE 0x%08x\n", tag(),
	       (u32)crb_cmd, crb_cmd_size, (u32)crb_rsp, crb_rsp_size);
	if (!buffer_usable(crb_cmd, crb_cmd_size) || !buffer_usable(crb_rsp, crb_rsp_size)) {
		printf("%sERROR CRB init: unusable command/response buffer registers\n", tag());
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

static int crb_waitrespready(enum sb_duration d)
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

/* ---------------- sb_transmit ---------------- */

/* Returns 0, or -1 like SeaBIOS (the step that failed goes to *what). */
int sb_transmit(const u8 *cmd, u8 *rsp, u32 *rsp_len, enum sb_duration d,
			  const char **what)
{
	u32 len = be32_get(cmd + 2);

	if (drv == SB_DRV_TIS) {
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

/* ---------------- driver selection ---------------- */

void sb_use(enum sb_driver d)
{
	drv = d;
	to = d == SB_DRV_TIS ? &tis_timeouts : &crb_timeouts;
}

enum sb_driver sb_driver(void)
{
	return drv;
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

int sb_acpi_log_area(void)
{
	const struct acpi_header *h = acpi_find_table("TPM2");
	u32 laml;
	u64 lasa;

	if (h && h->length >= 76) {
		laml = get32(h, 64);
		lasa = get64(h, 68);
		if (lasa && laml) {
			printf("%sACPI TPM2 table: start method %u, log area 0x%08llx (0x%x bytes)\n", tag(),
			       get32(h, 48), lasa, laml);
			return 0;
		}
	}
	h = acpi_find_table("TCPA");
	if (h && h->length >= 50) {
		laml = get32(h, 38);
		lasa = get64(h, 42);
		if (lasa && laml) {
			printf("%sACPI TCPA table: log area 0x%08llx (0x%x bytes)\n", tag(), lasa, laml);
			return 0;
		}
	}
	return -1;
}

/* ---------------- tpm_setup() up to the TPM version ---------------- */

int sb_setup(const char *tpm12_msg)
{
	int version;

	if (sb_acpi_log_area()) {
		printf("%sno ACPI TPM2/TCPA table with a log area: SeaBIOS leaves the TPM alone\n",
		       tag());
		return 2;
	}

	/* tpmhw_probe() */
	if (sb_tis_probe()) {
		sb_use(SB_DRV_TIS);
		printf("%sTIS found\n", tag());
		sb_tis_init();
		version = sb_tis_tpm_version();
	} else if (sb_crb_probe()) {
		sb_use(SB_DRV_CRB);
		printf("%sCRB found\n", tag());
		if (sb_crb_init())
			return 3;
		version = 2;
	} else {
		printf("%sno TPM found\n", tag());
		return 2;
	}
	if (version != 2) {
		printf("%s%s\n", tag(), tpm12_msg);
		return 2;
	}
	return 0;
}
