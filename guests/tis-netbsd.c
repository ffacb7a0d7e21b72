/* tis-netbsd.c - a guest that finds and drives the TPM the way NetBSD's ISA
 * attachment of the TIS 1.2 driver does (sys/dev/isa/tpm_isa.c with
 * sys/dev/ic/tpm.c; facts in shared/reference/driver-probes.md, code ours).
 *
 * Discovery: none.  No ACPI is read at all; the driver is configured as
 * "tpm* at isa? iomem 0xfed40000" and probes that address as a TIS.
 *
 * tpm_tis12_probe (returns 0 or a NetBSD errno):
 *   R4 0x14 INTF_CAPABILITY: 0xFFFFFFFF -> EINVAL (22);
 *   (cap & 0x15) != 0x15 (dataAvail, localityChange, levelLow) -> ENOTSUP (86);
 *   W1 0x00=0x02 (requestUse, without looking at ACCESS first);
 *   R1 0x00 until (v & 0xA0) == 0xA0, up to 2000 more reads 1 ms apart -> ETIMEDOUT (60);
 *   R4 0xF00 DID_VID: 0xFFFFFFFF -> EINVAL.
 *
 * Match - our reading of the "historic hazard": the old tpm_isa_match
 * returned the probe's result as the match value, which was right while the
 * probe returned 1 for "found" and became inverted when the probe started
 * returning an errno (0 = found).  A literal "rv != 0" would never attach to
 * a working TIS; today's NetBSD ("rv == 0") would never attach to a CRB.
 * This guest keeps the hazard and still attaches to a good TIS: it attaches
 * on EVERY probe result except the one that means "nothing at this address",
 * an INTF_CAPABILITY of all ones (EINVAL from the 0x14 check).  So ENOTSUP,
 * ETIMEDOUT and EINVAL from DID_VID all still lead to attach + init, which
 * is what a CRB-only device at 0xFED40000 has to survive.
 *
 * tpm_tis12_init: R4 0x14, R4 0xF00, R1 0xF04 (printed); request locality 0
 * (R1 0x00; unless (v & 0xA0) == 0xA0: W1 0x00=0x02 and poll R1 0x00 for
 * (v & 0xA0) == 0xA0 for 2 s, 1 ms between reads); W1 0x18=0x40 (commandReady).
 *
 * Then one TPM2_GetRandom(64), as NetBSD's entropy callback issues it, with
 * runtime/tis.c's tis_transmit (all 1-byte accesses, NetBSD framing; every
 * poll pauses 1 ms between reads, like the driver's 1-tick sleeps).
 *
 * Exit status: 0 attached and GetRandom worked; 1 attached but the TPM
 * answered with an error (or a wrong size); 2 no TIS TPM attached (probe
 * saw nothing, or the locality request in init timed out); 3 attached but a
 * transport/protocol error (timeout, expect/dataAvail wrong, bad length).
 */
#include "runtime/guest.h"
#include "runtime/time.h"
#include "runtime/tis.h"
#include "runtime/tpm2.h"

#define TAG "tis-netbsd: "

#define ISA_IOMEM          TIS_DEFAULT_BASE   /* tpm0 at isa0 iomem 0xfed40000 */

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

/* NetBSD errno values */
#define NB_EINVAL     22
#define NB_ETIMEDOUT  60
#define NB_ENOTSUP    86

#define PROBE_CAPS_REQUIRED \
	(TIS_CAP_DATA_AVAIL_INT | TIS_CAP_LOCALITY_CHANGE_INT | TIS_CAP_INT_LEVEL_LOW)
#define PROBE_ACCESS_TRIES 2000    /* x 1 ms */
#define ACCESS_TIMEOUT_MS  2000
#define READY_TIMEOUT_MS   2000
#define CMD_TIMEOUT_MS     10000
#define POLL_PAUSE_US      1000

#define RANDOM_BYTES 64
/* NetBSD's response buffer for GetRandom: header + u16 size + 64 bytes */
#define RSP_CAP (TPM2_HEADER_SIZE + 2 + RANDOM_BYTES)

static struct tis tis;
static u8 cmd_buf[16];
static u8 rsp_buf[RSP_CAP];
static u32 rsp_len;                 /* length of the last response in rsp_buf */
static int probe_nothing_there;   /* INTF_CAPABILITY read all ones */

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "success";
	case NB_EINVAL: return "EINVAL";
	case NB_ETIMEDOUT: return "ETIMEDOUT";
	case NB_ENOTSUP: return "ENOTSUP";
	}
	return "?";
}

static const char *reg_name(u32 off)
{
	switch (off) {
	case TIS_ACCESS: return "ACCESS";
	case TIS_STS: return "STS";
	case TIS_STS_BURST_LO: return "burstCount";
	}
	return NULL;
}

static int tpm_tis12_probe(void)
{
	const u8 want = TIS_ACCESS_VALID | TIS_ACCESS_ACTIVE_LOCALITY;
	u32 cap, tries;
	u8 reg;

	cap = tis_read32(&tis, TIS_INTF_CAPABILITY);
	printf(TAG "probe INTF_CAPABILITY 0x%08x\n", cap);
	if (cap == 0xFFFFFFFFu) {
		probe_nothing_there = 1;
		return NB_EINVAL;
	}
	if ((cap & PROBE_CAPS_REQUIRED) != PROBE_CAPS_REQUIRED)
		return NB_ENOTSUP;

	/* request locality 0 without checking tpmRegValidSts first */
	tis_write8(&tis, TIS_ACCESS, TIS_ACCESS_REQUEST_USE);
	for (tries = PROBE_ACCESS_TRIES;; tries--) {
		reg = tis_read8(&tis, TIS_ACCESS);
		if ((reg & want) == want || tries == 0)
			break;
		mdelay(1);
	}
	if ((reg & want) != want)
		return NB_ETIMEDOUT;

	if (tis_read32(&tis, TIS_DID_VID) == 0xFFFFFFFFu)
		return NB_EINVAL;
	return 0;
}

static int transport_error(const char *step, int err)
{
	const char *reg = reg_name(tis.err_reg);

	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%02x)\n", step, tis_strerror(err), reg, tis.err_val);
	else
		printf(TAG "ERROR %s: %s (0x%x)\n", step, tis_strerror(err), tis.err_val);
	return EXIT_TRANSPORT;
}

/* TPM2_GetRandom(RANDOM_BYTES) over the FIFO; 0 with the response in *r, or the
 * exit status of a transport error. */
static int get_random(struct tpm2_rsp *r)
{
	u32 len = tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), RANDOM_BYTES);
	int err = tis_transmit(&tis, cmd_buf, len, rsp_buf, sizeof(rsp_buf), &rsp_len);

	if (err)
		return transport_error("getrandom", err);
	if (tpm2_rsp_begin(r, rsp_buf, rsp_len) != 0) {
		printf(TAG "ERROR getrandom: malformed response header\n");
		return EXIT_TRANSPORT;
	}
	return 0;
}

int guest_main(const char *cmdline)
{
	struct tpm2_rsp r;
	u32 devid, len, got = 0;
	u8 rev, rnd[RANDOM_BYTES];
	int rv, err, st;

	(void)cmdline;
	tis_init(&tis, ISA_IOMEM);
	tis.sts_width = 1;                 /* NetBSD: every register access is 1 byte... */
	tis.poll_us = POLL_PAUSE_US;       /* ...and it sleeps between two reads */
	tis.timeout_ms = READY_TIMEOUT_MS;
	tis.cmd_timeout_ms = CMD_TIMEOUT_MS;

	/* ---- tpm_isa_match ---- */
	printf(TAG "isa probe at 0x%08x\n", ISA_IOMEM);
	rv = tpm_tis12_probe();
	printf(TAG "tpm_tis12_probe returned %d (%s)\n", rv, errno_name(rv));
	if (probe_nothing_there) {
		printf(TAG "no TIS TPM attached\n");
		return EXIT_NO_TPM;
	}
	printf(TAG "isa match -> attach\n");

	/* ---- tpm_tis12_init ---- */
	(void)tis_read32(&tis, TIS_INTF_CAPABILITY);
	devid = tis_read32(&tis, TIS_DID_VID);
	rev = tis_read8(&tis, TIS_RID);
	printf(TAG "device 0x%08x rev 0x%x\n", devid, rev);

	tis.timeout_ms = ACCESS_TIMEOUT_MS;
	err = tis_request_locality(&tis);
	tis.timeout_ms = READY_TIMEOUT_MS;
	if (err) {
		printf(TAG "reg ACCESS 0x%02x\n", tis.err_val);
		printf(TAG "locality request timed out\n");
		printf(TAG "no TIS TPM attached\n");
		return EXIT_NO_TPM;
	}
	/* abort whatever it thought it was doing */
	tis_write_status(&tis, TIS_STS_COMMAND_READY);

	/* ---- entropy callback: TPM2_GetRandom(64) ---- */
	st = get_random(&r);
	if (st)
		return st;
	if (r.rc == TPM_RC_INITIALIZE) {
		/* NetBSD relies on the firmware's TPM2_Startup. Firmware that did
		 * not send one (vmsim's plain acpi profile) leaves the TPM
		 * unstarted: send Startup(CLEAR) in its place, say so, retry. */
		printf(TAG "TPM not started by firmware (TPM_RC_INITIALIZE): "
		       "sending Startup(CLEAR) as firmware would\n");
		len = tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR);
		err = tis_transmit(&tis, cmd_buf, len, rsp_buf, sizeof(rsp_buf), &rsp_len);
		if (err)
			return transport_error("startup", err);
		st = get_random(&r);
		if (st)
			return st;
	}
	if (r.rc != TPM_RC_SUCCESS) {
		printf(TAG "FAIL getrandom rc=0x%03x %s\n", r.rc, tpm2_rc_name(r.rc));
		return EXIT_TPM_FAIL;
	}
	if (tpm2_parse_get_random(&r, rnd, sizeof(rnd), &got) != 0 || got != RANDOM_BYTES) {
		printf(TAG "FAIL getrandom: %u bytes in a %u-byte response, wanted %u\n",
		       got, rsp_len, RANDOM_BYTES);
		return EXIT_TPM_FAIL;
	}
	printf(TAG "result random %u ", got);
	console_hex(rnd, got);
	printf("\n");
	if (tis.retries_used)
		printf(TAG "note: %u responseRetry writes\n", tis.retries_used);
	printf(TAG "PASS\n");
	return EXIT_OK;
}
