/* probe-seabios.c - SeaBIOS's TPM probe as a guest: the ACPI gate of
 * tpm_setup(), tpmhw_probe() (TIS probe first, then the CRB probe with its
 * INTF_ID selector/lock writes), the found driver's init and TPM-version
 * check, then TPM2_Startup(CLEAR) and TPM2_GetRandom(16) over that driver's
 * tpmhw_transmit().  The driver is runtime/seabios_tpm.c, the code the
 * firmware stage (firmware/stage/seabios.c) runs, so every access, width
 * and timeout is the stage's; see firmware/stage/README.md for the tables.
 *
 * Differences from the stage: no SelfTest and GetCapability(PCRS); the
 * commands are Startup (short duration, SeaBIOS's 64-byte response buffer,
 * TPM_RC_INITIALIZE accepted: on QEMU the real SeaBIOS has already started
 * the TPM) and GetRandom(16) (medium duration, a 32-byte response buffer:
 * SeaBIOS's struct tpm2_res_getrandom, which it fills with 20 bytes;
 * 16 bytes give a 28-byte response).  Result lines as crb-linux.
 *
 * Exit status: 0 both commands succeeded, 1 a TPM command failed, 2 no TPM
 * (no ACPI TPM2/TCPA table with a log area, neither probe matched, or a
 * TPM 1.2), 3 transport error (tpmhw_transmit failed, unusable CRB buffers).
 */
#include "runtime/guest.h"
#include "runtime/seabios_tpm.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"

#define TAG "probe-seabios: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define RSP_BUF_DEFAULT   64   /* tpm_build_and_send_cmd(): u8 obuffer[64] */
#define RSP_BUF_GETRANDOM 32   /* sizeof(struct tpm2_res_getrandom) */

static u8 cmd_buf[32];
static u8 rsp_buf[128];
static const char *last_what;

/* tpmhw_transmit() with SeaBIOS's duration and response buffer per command */
static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	enum sb_duration d = SB_DUR_SHORT;
	u32 n = RSP_BUF_DEFAULT;

	(void)len;     /* tpmhw_transmit takes the length from the header */
	if (be32_get(cmd + 6) == TPM_CC_GET_RANDOM) {
		d = SB_DUR_MEDIUM;
		n = RSP_BUF_GETRANDOM;
	}
	if (n > cap)
		n = cap;
	memset(rsp, 0, n);
	last_what = "?";
	if (sb_transmit(cmd, rsp, &n, d, &last_what)) {
		*rsp_len = 0;
		return -1;
	}
	*rsp_len = n;
	return 0;
}

static int transport_error(const char *step, int err)
{
	(void)err;
	printf(TAG "ERROR %s: %s\n", step, last_what);
	return EXIT_TRANSPORT;
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, transport_error, cmd_buf, rsp_buf);
	int st;

	(void)cmdline;
	sb_tag = TAG;
	st = sb_setup("TPM 1.2: SeaBIOS would use its TPM 1.2 code, not handled here");
	if (st)
		return st;

	return tpmcmd_startup_random_pass(&tc);
}
