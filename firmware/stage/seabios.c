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
 * The driver half described below (ACPI gate, TIS and CRB probes, init,
 * version check, tpmhw_transmit) lives in guests/runtime/seabios_tpm.c,
 * shared with the probe-seabios guest; this file is tpm_setup() and
 * tpm20_startup() on top of it.
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
#include "runtime/tpm2.h"
#include "runtime/seabios_tpm.h"

#define TAG "seabios-stage: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define TPM_CC_SELF_TEST  0x00000143
#define TPM_CAP_PCRS      0x00000005

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
static int simple_cmd(const char *step, u32 len, enum sb_duration d, u32 *rc)
{
	const char *what = "?";
	u32 rsp_len = 64;

	if (len == 0)
		return transport_error(step, "command does not fit the buffer");
	memset(rsp_buf, 0, sizeof(rsp_buf));
	if (sb_transmit(cmd_buf, rsp_buf, &rsp_len, d, &what))
		return transport_error(step, what);
	*rc = be32_get(rsp_buf + 6);
	return 0;
}

static int startup(void)
{
	u32 rc, len = tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR);
	int st = simple_cmd("Startup(CLEAR)", len, SB_DUR_SHORT, &rc);

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
	st = simple_cmd("SelfTest(YES)", len, SB_DUR_LONG, &rc);
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
	if (sb_transmit(cmd_buf, rsp_buf, &rsp_len, SB_DUR_SHORT, &what))
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

int guest_main(const char *cmdline)
{
	int st;

	(void)cmdline;
	sb_tag = TAG;
	st = sb_setup("TPM 1.2: not handled by this stage");
	if (st)
		return st;

	/* tpm20_startup() (sb_use() chose the timeouts of the driver found) */
	st = startup();
	if (!st)
		st = self_test();
	if (!st)
		st = get_pcr_banks();
	if (st)
		return st;
	if (sb_driver() == SB_DRV_TIS)
		printf(TAG "done: TIS, locality 0 active, commandReady\n");
	else
		printf(TAG "done: CRB, locality 0 assigned, cmdReady (not idle)\n");
	return EXIT_OK;
}
