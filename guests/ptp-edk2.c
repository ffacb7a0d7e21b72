/* ptp-edk2.c - a guest that finds and drives the TPM the way edk2's
 * Tpm2DeviceLibDTpm does (SecurityPkg/Library/Tpm2DeviceLibDTpm: Tpm2Ptp.c,
 * Tpm2Tis.c, Tpm2DeviceLibDTpmBase.c; OVMF's PEI phase).  Facts (offsets,
 * widths, values, order, timeouts) come from shared/reference/
 * driver-probes.md and edk2 master; the code is vmsim's own.
 *
 * No ACPI: PcdTpmBaseAddress is 0xFED40000 and the interface is found from
 * the registers alone (so a device without any TPM2 table is still used).
 *
 *   constructor (Tpm2GetPtpInterface): R1 0x00 == 0xFF -> no TPM; R4 0x30
 *     INTERFACE_ID, R4 0x14 INTF_CAPABILITY (read on CRB too).  CRB: type 1,
 *     version 1 or 2, capCRB (b14).  FIFO: type 0, version 0, capFIFO (b13),
 *     INTF_CAPABILITY version (b30:28) 3.  TIS: type 0xF.  Else no supported
 *     TPM.  CRB: R4 0x30 again for capCRBIdleBypass (b9).
 *   DumpPtpInfo: R1 0x00, R4 0x30, R4 0x14, R1 0x1B (STS byte 3, "StatusEx");
 *     CRB: R2 0x34 VID, R2 0x36 DID (RID from INTERFACE_ID b31:24); FIFO/TIS:
 *     R2 0xF00 VID, R2 0xF02 DID, R1 0xF04 RID.  Printed as "reg" lines.
 *   Tpm2RequestUseTpm: CRB: R1 0x00 (presence), W4 0x08=1, wait R4 0x0C b0
 *     set (750 ms).  FIFO/TIS: R1 0x00 (presence), W1 0x00=0x02, wait R1 0x00
 *     b7|b5 set (750 ms).  A failure is edk2's "TPM2 not detected" (exit 2).
 *   A wait reads, returns on a match, else pauses 30 us (MicroSecondDelay),
 *   until the timeout.  CRB waits read 4 bytes, FIFO waits 1 byte.
 *
 * CRB command (PtpCrbTpmCommand), up to 3 attempts of the ready phase:
 *   idleBypass 0 and R4 0x44 b1 (tpmIdle) clear: wait R4 0x44 b1 set (200 ms);
 *   W4 0x40=1; wait R4 0x40 b0 clear (200 ms); wait R4 0x44 b1 clear (200 ms);
 *   a failed wait writes W4 0x40=2 (goIdle) and starts the attempt again,
 *   the third failure gives up (goIdle, EFI_DEVICE_ERROR).
 *   W1 per command byte at 0x80+; W4 0x60=0, W4 0x5C=base+0x80, W4 0x58=0xF80,
 *   W4 0x68=base+0x80, W4 0x6C=0 (MmioWrite64 on IA32), W4 0x64=0xF80;
 *   W4 0x4C=1; wait R4 0x4C b0 clear (90 s); on timeout W4 0x48=1, wait
 *   R4 0x4C b0 clear (2 s), W4 0x48=0.  R1 x10 header at 0x80; tag 0x00C4
 *   (TPM_ST_RSP_COMMAND) -> EFI_UNSUPPORTED; size > the caller's buffer ->
 *   EFI_BUFFER_TOO_SMALL; R1 for the rest; W4 0x40=2 (goIdle) on every
 *   exit.  Never relinquishes the locality.
 * FIFO/TIS command (Tpm2TisTpmCommand; every STS/FIFO access 1 byte):
 *   W1 0x18=0x40; wait R1 0x18 b6 (2 s) -> EFI_DEVICE_ERROR (no other write);
 *   per burst: burstCount = R1 0x19 | R1 0x1A << 8 until non-zero (30 us
 *   apart, 750 ms), W1 0x24 x min(burst, left) - every byte, the last one
 *   too; wait R1 0x18 b7 set and b3 (expect) clear (750 ms); W1 0x18=0x20;
 *   wait R1 0x18 b7|b4 (90 s), on timeout W4 0x18=0x01000000 (commandCancel)
 *   and wait again (2 s); header: bursts of R1 0x24 until 10 bytes (the
 *   burst counter is not decremented for the 10th byte, as edk2); tag and
 *   size checks as CRB; the rest from the remaining burst, then new
 *   burstCounts; always W1 0x18=0x40 at the end.  Never releases the
 *   locality.
 *
 * Commands, as Tcg2Pei sends them: TPM2_Startup(CLEAR) into a 10-byte
 * response buffer (TPM_RC_INITIALIZE accepted, as Tpm2Startup does) and
 * TPM2_GetRandom(16) into sizeof(TPM2_GET_RANDOM_RESPONSE) = 76 bytes.
 * Result lines as crb-linux.
 *
 * Exit status: 0 both commands succeeded, 1 a TPM command failed, 2 no TPM
 * (R1 0x00 reads 0xFF, no supported interface, request use failed), 3 a
 * command failed in the driver (EFI_DEVICE_ERROR, EFI_BUFFER_TOO_SMALL,
 * EFI_UNSUPPORTED).
 */
#include "runtime/guest.h"
#include "runtime/time.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"

#define TAG "ptp-edk2: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define TPM_BASE 0xFED40000u       /* PcdTpmBaseAddress */

/* timeouts, ms */
#define PTP_TIMEOUT_A   750
#define PTP_TIMEOUT_B   2000
#define PTP_TIMEOUT_C   200
#define PTP_TIMEOUT_MAX 90000
#define TIS_TIMEOUT_A   750
#define TIS_TIMEOUT_B   2000
#define TIS_TIMEOUT_C   750
#define TIS_TIMEOUT_D   750
#define TIS_TIMEOUT_MAX 90000
#define POLL_US         30
#define RETRY_CNT_MAX   3

/* registers (PTP_CRB_REGISTERS / PTP_FIFO_REGISTERS) */
#define R_ACCESS        0x00     /* FIFO Access / CRB LocalityState */
#define R_LOC_CTRL      0x08
#define R_LOC_STS       0x0C
#define R_INTF_CAP      0x14
#define R_STS           0x18
#define R_BURST         0x19
#define R_STS_EX        0x1B
#define R_FIFO          0x24
#define R_INTF_ID       0x30
#define R_CRB_VID       0x34
#define R_CRB_DID       0x36
#define R_CTRL_REQ      0x40
#define R_CTRL_STS      0x44
#define R_CTRL_CANCEL   0x48
#define R_CTRL_START    0x4C
#define R_CMD_SIZE      0x58
#define R_CMD_LADDR     0x5C
#define R_CMD_HADDR     0x60
#define R_RSP_SIZE      0x64
#define R_RSP_ADDR      0x68
#define R_DATA_BUFFER   0x80
#define R_FIFO_VID      0xF00
#define R_FIFO_DID      0xF02
#define R_FIFO_RID      0xF04

#define CRB_DATA_BUFFER_SIZE 0xF80

#define LOC_STS_GRANTED    0x01
#define REQ_CMD_READY      0x01
#define REQ_GO_IDLE        0x02
#define CTRL_STS_IDLE      0x02
#define CTRL_START_BIT     0x01
#define CTRL_CANCEL_BIT    0x01

#define ACC_VALID          0x80
#define ACC_ACTIVE         0x20
#define ACC_RQUUSE         0x02
#define STS_VALID          0x80
#define STS_READY          0x40
#define STS_GO             0x20
#define STS_DATA           0x10
#define STS_EXPECT         0x08
#define STS_CANCEL         0x01000000u

#define TPM_ST_RSP_COMMAND 0x00C4

#define IFACE_TYPE(v)      ((v) & 0xF)
#define IFACE_VERSION(v)   (((v) >> 4) & 0xF)
#define IFACE_IDLE_BYPASS(v) (((v) >> 9) & 1)
#define IFACE_CAP_FIFO     (1u << 13)
#define IFACE_CAP_CRB      (1u << 14)
#define IFACE_RID(v)       ((v) >> 24)
#define CAP_VERSION(v)     (((v) >> 28) & 7)

#define STARTUP_RSP_SIZE   10             /* sizeof(TPM2_STARTUP_RESPONSE) */
#define GETRANDOM_RSP_SIZE (10 + 2 + 64)  /* sizeof(TPM2_GET_RANDOM_RESPONSE) */

enum ptp_if { IF_TIS, IF_FIFO, IF_CRB, IF_MAX };

static const char *const if_name[] = { "TIS", "FIFO", "CRB", "none" };

/* driver errors (EFI_STATUS) */
enum efi_err { E_OK = 0, E_DEVICE_ERROR, E_BUFFER_TOO_SMALL, E_UNSUPPORTED };

static enum ptp_if iface;
static u8 idle_bypass;
static const char *err_what;
static u32 err_reg, err_val;

static u8 cmd_buf[4096];
static u8 rsp_buf[4096];

static uintptr_t reg(u32 off) { return (uintptr_t)TPM_BASE + off; }
static u8 rd1(u32 off) { return mmio_read8(reg(off)); }
static u16 rd2(u32 off) { return mmio_read16(reg(off)); }
static u32 rd4(u32 off) { return mmio_read32(reg(off)); }
static void wr1(u32 off, u8 v) { mmio_write8(reg(off), v); }
static void wr4(u32 off, u32 v) { mmio_write32(reg(off), v); }

static int expired(u64 start, u32 ms)
{
	return time_ticks() - start >= time_ms_to_ticks(ms);
}

/* PtpCrbWaitRegisterBits (width 4) and TisPcWaitRegisterBits (width 1):
 * 0 when (v & set) == set and (v & clear) == 0 */
static int wait_bits(u32 off, u32 width, u32 set, u32 clear, u32 ms, u32 *last)
{
	u64 start = time_ticks();
	u32 v;

	for (;;) {
		v = width == 1 ? rd1(off) : rd4(off);
		if ((v & set) == set && (v & clear) == 0) {
			*last = v;
			return 0;
		}
		if (expired(start, ms))
			break;
		udelay(POLL_US);
	}
	*last = v;
	return -1;
}

static int crb_wait(u32 off, u32 set, u32 clear, u32 ms, u32 *last)
{
	return wait_bits(off, 4, set, clear, ms, last);
}

static int tis_wait(u32 off, u8 set, u8 clear, u32 ms, u32 *last)
{
	return wait_bits(off, 1, set, clear, ms, last);
}

static int fail(enum efi_err e, const char *what, u32 r, u32 v)
{
	err_what = what;
	err_reg = r;
	err_val = v;
	return e;
}

/* ---------------- discovery ---------------- */

static int presence(void)
{
	return rd1(R_ACCESS) != 0xFF;      /* Tpm2IsPtpPresence / TisPcPresenceCheck */
}

static int absent;                 /* the constructor's R1 0x00 read 0xFF */
static u32 probe_id, probe_cap;    /* the constructor's reads, for the report */

static enum ptp_if get_ptp_interface(void)
{
	u32 id, cap;

	if (!presence()) {
		absent = 1;
		return IF_MAX;
	}
	id = probe_id = rd4(R_INTF_ID);
	cap = probe_cap = rd4(R_INTF_CAP);
	if (IFACE_TYPE(id) == 1 && (IFACE_VERSION(id) == 1 || IFACE_VERSION(id) == 2) &&
	    (id & IFACE_CAP_CRB))
		return IF_CRB;
	if (IFACE_TYPE(id) == 0 && IFACE_VERSION(id) == 0 && (id & IFACE_CAP_FIFO) &&
	    CAP_VERSION(cap) == 3)
		return IF_FIFO;
	if (IFACE_TYPE(id) == 0xF)
		return IF_TIS;
	return IF_MAX;
}

static void dump_ptp_info(void)
{
	u32 id, cap;
	u16 vid, did;
	u8 sts_ex, rid;

	if (!presence())
		return;
	id = rd4(R_INTF_ID);
	cap = rd4(R_INTF_CAP);
	sts_ex = rd1(R_STS_EX);
	printf(TAG "reg INTERFACE_ID 0x%08x\n", id);
	printf(TAG "reg INTF_CAPABILITY 0x%08x\n", cap);
	printf(TAG "reg STS_EX 0x%02x\n", sts_ex);
	if (iface == IF_CRB) {
		vid = rd2(R_CRB_VID);
		did = rd2(R_CRB_DID);
		rid = (u8)IFACE_RID(id);
	} else {
		vid = rd2(R_FIFO_VID);
		did = rd2(R_FIFO_DID);
		rid = rd1(R_FIFO_RID);
	}
	printf(TAG "reg VID 0x%04x\n", vid);
	printf(TAG "reg DID 0x%04x\n", did);
	printf(TAG "reg RID 0x%02x%s\n", rid, iface == IF_CRB ? " (INTERFACE_ID b31:24)" : "");
}

/* Tpm2RequestUseTpm */
static int request_use(u32 *last)
{
	if (!presence()) {
		*last = 0xFF;
		return -1;
	}
	if (iface == IF_CRB) {
		wr4(R_LOC_CTRL, 1);              /* requestAccess */
		return crb_wait(R_LOC_STS, LOC_STS_GRANTED, 0, PTP_TIMEOUT_A, last);
	}
	wr1(R_ACCESS, ACC_RQUUSE);
	return tis_wait(R_ACCESS, ACC_ACTIVE | ACC_VALID, 0, TIS_TIMEOUT_A, last);
}

/* ---------------- CRB ---------------- */

static int crb_command(const u8 *in, u32 size_in, u8 *out, u32 *size_out)
{
	u32 v, i, out_size, retry = 0;
	enum efi_err st = E_OK;

	for (;;) {
		/* STEP 0: enforce idle before the command unless idle bypass */
		if (idle_bypass == 0 && (rd4(R_CTRL_STS) & CTRL_STS_IDLE) == 0 &&
		    crb_wait(R_CTRL_STS, CTRL_STS_IDLE, 0, PTP_TIMEOUT_C, &v)) {
			st = fail(E_DEVICE_ERROR, "tpmIdle never set", R_CTRL_STS, v);
		} else {
			/* STEP 1: ready */
			wr4(R_CTRL_REQ, REQ_CMD_READY);
			if (crb_wait(R_CTRL_REQ, 0, REQ_CMD_READY, PTP_TIMEOUT_C, &v))
				st = fail(E_DEVICE_ERROR, "cmdReady never cleared", R_CTRL_REQ, v);
			else if (crb_wait(R_CTRL_STS, 0, CTRL_STS_IDLE, PTP_TIMEOUT_C, &v))
				st = fail(E_DEVICE_ERROR, "tpmIdle never cleared", R_CTRL_STS, v);
			else
				break;
		}
		retry++;
		if (retry >= RETRY_CNT_MAX)
			goto go_idle;
		printf(TAG "note: %s (0x%08x), goIdle and retry %u\n", err_what, err_val, retry);
		wr4(R_CTRL_REQ, REQ_GO_IDLE);
		st = E_OK;
	}

	/* STEP 2: command reception, then the buffer registers rewritten */
	for (i = 0; i < size_in; i++)
		wr1(R_DATA_BUFFER + i, in[i]);
	wr4(R_CMD_HADDR, 0);
	wr4(R_CMD_LADDR, TPM_BASE + R_DATA_BUFFER);
	wr4(R_CMD_SIZE, CRB_DATA_BUFFER_SIZE);
	mmio_write64(reg(R_RSP_ADDR), TPM_BASE + R_DATA_BUFFER);   /* IA32: W4 0x68, W4 0x6C */
	wr4(R_RSP_SIZE, CRB_DATA_BUFFER_SIZE);

	/* STEP 3: execution */
	wr4(R_CTRL_START, CTRL_START_BIT);
	if (crb_wait(R_CTRL_START, 0, CTRL_START_BIT, PTP_TIMEOUT_MAX, &v)) {
		printf(TAG "note: CTRL_START still 0x%08x after 90 s, cancelling\n", v);
		wr4(R_CTRL_CANCEL, CTRL_CANCEL_BIT);
		i = (u32)crb_wait(R_CTRL_START, 0, CTRL_START_BIT, PTP_TIMEOUT_B, &v);
		wr4(R_CTRL_CANCEL, 0);
		if (i) {
			st = fail(E_DEVICE_ERROR, "command never completed, cancel failed",
				  R_CTRL_START, v);
			goto go_idle;
		}
	}

	/* STEP 4: completion: header, checks, the rest */
	for (i = 0; i < TPM2_HEADER_SIZE; i++)
		out[i] = rd1(R_DATA_BUFFER + i);
	if (be16_get(out) == TPM_ST_RSP_COMMAND) {
		st = fail(E_UNSUPPORTED, "TPM_ST_RSP_COMMAND response tag", R_DATA_BUFFER, 0xC4);
		goto go_idle;
	}
	out_size = be32_get(out + 2);
	if (*size_out < out_size) {
		st = fail(E_BUFFER_TOO_SMALL, "response larger than the buffer", 0, out_size);
		goto go_idle;
	}
	*size_out = out_size;
	for (i = TPM2_HEADER_SIZE; i < out_size; i++)
		out[i] = rd1(R_DATA_BUFFER + i);
go_idle:
	wr4(R_CTRL_REQ, REQ_GO_IDLE);
	return st;
}

/* ---------------- FIFO / TIS ---------------- */

static int read_burst(u16 *burst)
{
	u64 start = time_ticks();
	u8 lo, hi;

	for (;;) {
		lo = rd1(R_BURST);
		hi = rd1(R_BURST + 1);
		*burst = (u16)((hi << 8) + lo);
		if (*burst != 0)
			return 0;
		udelay(POLL_US);
		if (expired(start, TIS_TIMEOUT_D))
			return -1;
	}
}

static int tis_command(const u8 *in, u32 size_in, u8 *out, u32 *size_out)
{
	enum efi_err st = E_OK;
	u32 index, out_size, v;
	u16 burst;

	/* TisPcPrepareCommand */
	wr1(R_STS, STS_READY);
	if (tis_wait(R_STS, STS_READY, 0, TIS_TIMEOUT_B, &v))
		return fail(E_DEVICE_ERROR, "commandReady never set", R_STS, v);

	index = 0;
	while (index < size_in) {
		if (read_burst(&burst)) {
			st = fail(E_DEVICE_ERROR, "burstCount stayed 0 (command)", R_BURST, 0);
			goto out;
		}
		for (; burst > 0 && index < size_in; burst--)
			wr1(R_FIFO, in[index++]);
	}
	if (tis_wait(R_STS, STS_VALID, STS_EXPECT, TIS_TIMEOUT_C, &v)) {
		st = fail(E_BUFFER_TOO_SMALL, "stsValid without expect never seen after the command",
			  R_STS, v);
		goto out;
	}
	wr1(R_STS, STS_GO);
	if (tis_wait(R_STS, STS_VALID | STS_DATA, 0, TIS_TIMEOUT_MAX, &v)) {
		printf(TAG "note: STS 0x%02x 90 s after tpmGo, commandCancel\n", v);
		wr4(R_STS, STS_CANCEL);
		if (tis_wait(R_STS, STS_VALID | STS_DATA, 0, TIS_TIMEOUT_B, &v)) {
			st = fail(E_DEVICE_ERROR, "dataAvail never set", R_STS, v);
			goto out;
		}
	}

	index = 0;
	burst = 0;
	while (index < TPM2_HEADER_SIZE) {
		if (read_burst(&burst)) {
			st = fail(E_DEVICE_ERROR, "burstCount stayed 0 (header)", R_BURST, 0);
			goto out;
		}
		for (; burst > 0; burst--) {
			out[index++] = rd1(R_FIFO);
			if (index == TPM2_HEADER_SIZE)
				break;           /* burst not decremented for this byte */
		}
	}
	if (be16_get(out) == TPM_ST_RSP_COMMAND) {
		st = fail(E_UNSUPPORTED, "TPM_ST_RSP_COMMAND response tag", R_FIFO, 0xC4);
		goto out;
	}
	out_size = be32_get(out + 2);
	if (*size_out < out_size) {
		st = fail(E_BUFFER_TOO_SMALL, "response larger than the buffer", 0, out_size);
		goto out;
	}
	*size_out = out_size;
	while (index < out_size) {
		for (; burst > 0; burst--) {
			out[index++] = rd1(R_FIFO);
			if (index == out_size)
				goto out;
		}
		if (read_burst(&burst)) {
			st = fail(E_DEVICE_ERROR, "burstCount stayed 0 (response)", R_BURST, 0);
			goto out;
		}
	}
out:
	wr1(R_STS, STS_READY);
	return st;
}

/* ---------------- commands ---------------- */

static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	u32 size = be32_get(cmd + 6) == TPM_CC_GET_RANDOM ? GETRANDOM_RSP_SIZE : STARTUP_RSP_SIZE;
	int st;

	if (size > cap)
		size = cap;
	*rsp_len = 0;
	err_what = NULL;
	if (iface == IF_CRB)
		st = crb_command(cmd, len, rsp, &size);
	else
		st = tis_command(cmd, len, rsp, &size);
	if (st == E_OK)
		*rsp_len = size;
	return st;
}

static int transport_error(const char *step, int err)
{
	static const char *const efi[] = {
		"EFI_SUCCESS", "EFI_DEVICE_ERROR", "EFI_BUFFER_TOO_SMALL", "EFI_UNSUPPORTED",
	};

	printf(TAG "ERROR %s: %s (reg 0x%02x value 0x%x), %s\n", step,
	       err_what ? err_what : "?", err_reg, err_val,
	       err >= 0 && err < (int)ARRAY_SIZE(efi) ? efi[err] : "?");
	return EXIT_TRANSPORT;
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, transport_error, cmd_buf, rsp_buf);
	u32 v;
	int st;

	(void)cmdline;
	/* Tpm2DeviceLibConstructor */
	iface = get_ptp_interface();
	if (iface == IF_MAX) {
		if (absent)
			printf(TAG "R1 0x00 reads 0xff: no TPM at 0x%08x\n", TPM_BASE);
		else
			printf(TAG "no supported PTP interface at 0x%08x (INTERFACE_ID 0x%08x "
			       "INTF_CAPABILITY 0x%08x)\n", TPM_BASE, probe_id, probe_cap);
		return EXIT_NO_TPM;
	}
	if (iface == IF_CRB)
		idle_bypass = (u8)IFACE_IDLE_BYPASS(rd4(R_INTF_ID));

	/* Tpm2InstanceLibDTpm: DumpPtpInfo */
	dump_ptp_info();
	printf(TAG "PtpInterface %s%s\n", if_name[iface],
	       iface == IF_CRB ? (idle_bypass ? " (CapCRBIdleBypass 1)" : " (CapCRBIdleBypass 0)") : "");

	/* Tcg2Pei: Tpm2RequestUseTpm */
	st = request_use(&v);
	if (iface == IF_CRB)
		printf(TAG "reg LOC_STS 0x%08x\n", v);
	else
		printf(TAG "reg ACCESS 0x%02x\n", v);
	if (st) {
		printf(TAG "TPM2 not detected (request use timed out)\n");
		return EXIT_NO_TPM;
	}

	return tpmcmd_startup_random_pass(&tc);
}
