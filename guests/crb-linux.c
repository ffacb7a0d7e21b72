/* crb-linux.c - a guest that drives the TPM the way Linux tpm_crb does.
 *
 * Discovery: ACPI TPM2 table (start method 7 = CRB), register base =
 * control area - 0x40.  Init like crb_map_io(): request locality 0,
 * cmd_ready, read the buffer registers (printed), go_idle, relinquish.
 * Then six commands, each framed by request_locality + cmd_ready ...
 * go_idle + relinquish (crb_transmit).
 *
 * Exit status: 0 all commands succeeded, 1 a TPM command failed,
 * 2 no TPM (no TPM2 table or not CRB), 3 transport/driver error.
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/crb.h"
#include "runtime/tpm2.h"
#include "runtime/tpmcmd.h"
#include "runtime/tpm_attach.h"

#define TAG "crb-linux: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

static struct crb crb;
static u8 cmd_buf[4096];
static u8 rsp_buf[4096];

static int transport_error(const char *step, int err)
{
	const char *reg = crb_reg_name(crb.err_reg);

	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%08x)\n", step, crb_strerror(err), reg, crb.err_val);
	else
		printf(TAG "ERROR %s: %s (0x%x)\n", step, crb_strerror(err), crb.err_val);
	return EXIT_TRANSPORT;
}

static u32 last_rsp_len;   /* of the last crb_transmit, for transport_error */

/* One command framed like Linux (tpm_chip_start ... tpm_chip_stop). */
static int transmit(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	int err = crb_transmit(&crb, cmd, len, rsp, cap, rsp_len);

	last_rsp_len = *rsp_len;
	return err;
}

static int command_error(const char *step, int err)
{
	struct tpm2_rsp r;

	if (err == CRB_E_CANCELLED && tpm2_rsp_begin(&r, rsp_buf, last_rsp_len) == 0) {
		/* timed out; the cancel got an answer: still a driver error (Linux
		 * returns -ETIME), but say what the TPM answered */
		printf(TAG "ERROR %s: %s (CTRL_START 0x%08x) rc=0x%03x %s\n", step,
		       crb_strerror(err), crb.err_val, r.rc, tpm2_rc_name(r.rc));
		return EXIT_TRANSPORT;
	}
	return transport_error(step, err);
}

int guest_main(const char *cmdline)
{
	const struct tpmcmd tc = TPMCMD_INIT(TAG, transmit, command_error, cmd_buf, rsp_buf);
	uintptr_t base;
	int st;

	(void)cmdline;
	st = tpm_find_tpm2(TAG, ACPI_TPM2_START_CRB, &base);
	if (st)
		return st;
	st = crb_map_io(&crb, base, TAG, transport_error);
	if (!st)
		st = tpmcmd_linux_set(&tc);
	if (st)
		return st;
	printf(TAG "PASS\n");
	return EXIT_OK;
}
