/* bench-getrandom.c - N x TPM2_GetRandom(32) over CRB, no per-command framing.
 *
 * Command line: n=NUMBER (default 100).  Finds the CRB through the ACPI TPM2
 * table (start method 7; otherwise exit 2, like crb-linux), requests
 * locality 0 and cmdReady ONCE, reads the buffer registers, sends
 * Startup(CLEAR) (TPM_RC_INITIALIZE accepted), then n GetRandom(32) commands.
 * Per command: the command written with 4-byte writes, W4 CTRL_START=1, poll
 * R4 CTRL_START, R4 CTRL_STS, 10-byte header, rest of the response (4-byte
 * reads where aligned).  No CTRL_CANCEL write, no locality or idle requests
 * between commands.  Exit: 0 all ok, 1 a command failed, 2 no CRB TPM,
 * 3 transport error or bad command line.
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/crb.h"
#include "runtime/tpm2.h"
#include "runtime/tpm_attach.h"

#define TAG "bench-getrandom: "
#define RANDOM_BYTES 32

static struct crb crb;
static u8 cmd_buf[64];
static u8 rsp_buf[128];

/* One command without framing and without the CTRL_CANCEL=0 write. */
static int exchange(u32 len, u32 *rsp_len)
{
	int err;

	if (len > crb.cmd_size)
		return CRB_E_TOO_BIG;
	crb_copy_to_mmio(crb.cmd, cmd_buf, len);
	crb_write32(&crb, CRB_CTRL_START, CRB_START_INVOKE);
	err = crb_wait_complete(&crb, CRB_TIMEOUT_CMD_MS);
	if (!err)
		err = crb_recv(&crb, rsp_buf, sizeof(rsp_buf), rsp_len);
	return err;
}

static int transport_error(const char *what, int err)
{
	printf(TAG "ERROR %s: %s (reg 0x%02x value 0x%08x)\n", what, crb_strerror(err),
	       crb.err_reg, crb.err_val);
	return 3;
}

int guest_main(const char *cmdline)
{
	uintptr_t base;
	struct tpm2_rsp r;
	u32 n = 100, i, len, rsp_len, got;
	u8 rnd[RANDOM_BYTES];
	int err;

	if (cmdline_get_u32(cmdline, "n", &n) < 0) {
		printf(TAG "bad n= in command line \"%s\"\n", cmdline);
		return 3;
	}
	err = tpm_find_tpm2(TAG, ACPI_TPM2_START_CRB, &base);
	if (err)
		return err;

	crb_init(&crb, base);
	err = crb_request_locality(&crb);
	if (!err)
		err = crb_cmd_ready(&crb);
	if (!err)
		err = crb_setup_buffers(&crb);
	if (err)
		return transport_error("attach", err);

	len = tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR);
	err = exchange(len, &rsp_len);
	if (err)
		return transport_error("startup", err);
	if (tpm2_rsp_begin(&r, rsp_buf, rsp_len) != 0) {
		printf(TAG "ERROR startup: malformed response\n");
		return 3;
	}
	if (r.rc != TPM_RC_SUCCESS && r.rc != TPM_RC_INITIALIZE) {
		printf(TAG "FAIL startup rc=0x%03x %s\n", r.rc, tpm2_rc_name(r.rc));
		return 1;
	}

	len = tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), RANDOM_BYTES);
	for (i = 0; i < n; i++) {
		err = exchange(len, &rsp_len);
		if (err) {
			printf(TAG "command %u:\n", i);
			return transport_error("getrandom", err);
		}
		if (tpm2_rsp_begin(&r, rsp_buf, rsp_len) != 0) {
			printf(TAG "ERROR getrandom %u: malformed response\n", i);
			return 3;
		}
		if (r.rc != TPM_RC_SUCCESS) {
			printf(TAG "FAIL getrandom %u rc=0x%03x %s\n", i, r.rc, tpm2_rc_name(r.rc));
			return 1;
		}
		if (tpm2_parse_get_random(&r, rnd, sizeof(rnd), &got) != 0 || got != RANDOM_BYTES) {
			printf(TAG "FAIL getrandom %u: short response\n", i);
			return 1;
		}
	}
	printf(TAG "n=%u ok\n", n);
	return 0;
}
