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

#define TAG "crb-linux: "

#define EXIT_OK        0
#define EXIT_TPM_FAIL  1
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define TEST_PCR 16

/* SHA-256("vmsim") (5 ASCII bytes), the digest extended into PCR 16. */
static const u8 vmsim_digest[TPM_SHA256_SIZE] = {
	0xaa, 0xc3, 0x14, 0x70, 0xdf, 0x8f, 0xc5, 0xa6,
	0x2f, 0xee, 0xc8, 0x2b, 0x81, 0x52, 0x42, 0xa1,
	0x5b, 0x51, 0x94, 0x77, 0x95, 0x1b, 0x6a, 0x20,
	0x68, 0xec, 0x18, 0x3a, 0xa6, 0x18, 0xbd, 0x36,
};

/* PCR 16 after PCR_Reset and one extend: SHA-256(32 zero bytes || digest). */
static const u8 expected_pcr[TPM_SHA256_SIZE] = {
	0xd3, 0xda, 0xf6, 0x3e, 0x72, 0x58, 0xca, 0x67,
	0x44, 0x30, 0x4e, 0x0d, 0x20, 0x0a, 0x94, 0x8b,
	0x48, 0xdf, 0x42, 0xc1, 0x20, 0xdf, 0xa4, 0x82,
	0x64, 0x2d, 0xe5, 0xf0, 0x09, 0x1f, 0xd5, 0x27,
};

static struct crb crb;
static u8 cmd_buf[4096];
static u8 rsp_buf[4096];

static const char *reg_name(u32 off)
{
	switch (off) {
	case CRB_LOC_STATE: return "LOC_STATE";
	case CRB_LOC_STS: return "LOC_STS";
	case CRB_CTRL_REQ: return "CTRL_REQ";
	case CRB_CTRL_STS: return "CTRL_STS";
	case CRB_CTRL_START: return "CTRL_START";
	case CRB_CMD_SIZE: return "CMD_SIZE";
	case CRB_CMD_LADDR: return "CMD_LADDR";
	case CRB_CMD_HADDR: return "CMD_HADDR";
	case CRB_RSP_SIZE: return "RSP_SIZE";
	case CRB_RSP_ADDR: return "RSP_ADDR";
	}
	return NULL;
}

static int transport_error(const char *step, int err)
{
	const char *reg = reg_name(crb.err_reg);

	if (reg)
		printf(TAG "ERROR %s: %s (%s 0x%08x)\n", step, crb_strerror(err), reg, crb.err_val);
	else
		printf(TAG "ERROR %s: %s (0x%x)\n", step, crb_strerror(err), crb.err_val);
	return EXIT_TRANSPORT;
}

/* Sends cmd_buf[0..len) framed like Linux and parses the response header.
 * Returns 0 with *r set up, or an exit status after printing the error. */
static int run_command(const char *step, u32 len, struct tpm2_rsp *r)
{
	u32 rsp_len;
	int err;

	if (len == 0) {
		printf(TAG "ERROR %s: command does not fit the buffer\n", step);
		return EXIT_TRANSPORT;
	}
	err = crb_transmit(&crb, cmd_buf, len, rsp_buf, sizeof(rsp_buf), &rsp_len);
	if (err == CRB_E_CANCELLED && tpm2_rsp_begin(r, rsp_buf, rsp_len) == 0) {
		/* timed out; the cancel got an answer: still a driver error (Linux
		 * returns -ETIME), but say what the TPM answered */
		printf(TAG "ERROR %s: %s (CTRL_START 0x%08x) rc=0x%03x %s\n", step,
		       crb_strerror(err), crb.err_val, r->rc, tpm2_rc_name(r->rc));
		return EXIT_TRANSPORT;
	}
	if (err)
		return transport_error(step, err);
	if (tpm2_rsp_begin(r, rsp_buf, rsp_len) != 0) {
		printf(TAG "ERROR %s: malformed response header (tag 0x%04x size %u, %u bytes)\n",
		       step, r->tag, r->size, rsp_len);
		return EXIT_TRANSPORT;
	}
	return 0;
}

static int command_failed(const char *step, u32 rc)
{
	printf(TAG "FAIL %s rc=0x%03x %s\n", step, rc, tpm2_rc_name(rc));
	return EXIT_TPM_FAIL;
}

static int malformed(const char *step)
{
	printf(TAG "ERROR %s: malformed response body\n", step);
	return EXIT_TRANSPORT;
}

static int do_startup(void)
{
	struct tpm2_rsp r;
	int st = run_command("startup", tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR), &r);

	if (st)
		return st;
	if (r.rc == TPM_RC_INITIALIZE) {
		/* firmware (SeaBIOS on QEMU) already sent Startup */
		printf(TAG "result startup rc=0x%03x %s (already started, accepted)\n",
		       r.rc, tpm2_rc_name(r.rc));
		return 0;
	}
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("startup", r.rc);
	printf(TAG "result startup rc=0x%03x %s\n", r.rc, tpm2_rc_name(r.rc));
	return 0;
}

static int do_get_random(void)
{
	struct tpm2_rsp r;
	u8 rnd[16];
	u32 n;
	int st = run_command("random", tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), sizeof(rnd)), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("random", r.rc);
	if (tpm2_parse_get_random(&r, rnd, sizeof(rnd), &n) != 0 || n != sizeof(rnd))
		return malformed("random");
	printf(TAG "result random %u ", n);
	console_hex(rnd, n);
	console_putc('\n');
	return 0;
}

static int do_pcr_reset(void)
{
	struct tpm2_rsp r;
	int st = run_command("pcr-reset", tpm2_build_pcr_reset(cmd_buf, sizeof(cmd_buf), TEST_PCR), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("pcr-reset", r.rc);
	printf(TAG "result pcr-reset %d rc=0x%03x %s\n", TEST_PCR, r.rc, tpm2_rc_name(r.rc));
	return 0;
}

static int do_pcr_extend(void)
{
	struct tpm2_rsp r;
	int st = run_command("pcr-extend",
			     tpm2_build_pcr_extend_sha256(cmd_buf, sizeof(cmd_buf), TEST_PCR, vmsim_digest), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("pcr-extend", r.rc);
	printf(TAG "result pcr-extend %d sha256=", TEST_PCR);
	console_hex(vmsim_digest, sizeof(vmsim_digest));
	console_putc('\n');
	return 0;
}

static int do_pcr_read(void)
{
	struct tpm2_rsp r;
	u8 pcr[TPM_SHA256_SIZE];
	int st = run_command("pcr-read", tpm2_build_pcr_read_sha256(cmd_buf, sizeof(cmd_buf), TEST_PCR), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("pcr-read", r.rc);
	if (tpm2_parse_pcr_read_sha256(&r, pcr) != 0)
		return malformed("pcr-read");
	printf(TAG "result pcr-read %d sha256=", TEST_PCR);
	console_hex(pcr, sizeof(pcr));
	console_putc('\n');
	if (memcmp(pcr, expected_pcr, sizeof(pcr)) != 0) {
		printf(TAG "FAIL pcr-read rc=0x%03x %s (value differs from expected ",
		       r.rc, tpm2_rc_name(r.rc));
		console_hex(expected_pcr, sizeof(expected_pcr));
		printf(")\n");
		return EXIT_TPM_FAIL;
	}
	return 0;
}

static int do_manufacturer(void)
{
	struct tpm2_rsp r;
	u32 prop, val, i;
	char s[5];
	int st = run_command("manufacturer",
			     tpm2_build_get_capability(cmd_buf, sizeof(cmd_buf), TPM_CAP_TPM_PROPERTIES,
						       TPM_PT_MANUFACTURER, 1), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed("manufacturer", r.rc);
	if (tpm2_parse_get_capability_prop(&r, &prop, &val) != 0 || prop != TPM_PT_MANUFACTURER)
		return malformed("manufacturer");
	/* four ASCII characters, big-endian; trailing NULs dropped (swtpm
	 * reports "IBM" as 0x49424d00), other unprintable bytes shown as '.' */
	for (i = 0; i < 4; i++) {
		char ch = (char)(val >> (24 - 8 * i));
		s[i] = (ch >= 0x20 && ch < 0x7F) ? ch : '.';
	}
	s[4] = '\0';
	for (i = 4; i > 0 && (u8)(val >> (8 * (4 - i))) == 0; i--)
		s[i - 1] = '\0';
	printf(TAG "result manufacturer 0x%08x \"%s\"\n", val, s);
	return 0;
}

/* crb_map_io(): locality, cmd_ready, buffer registers, go_idle, relinquish. */
static int attach(uintptr_t base)
{
	u32 loc_sts, ctrl_sts;
	int err, err2;

	crb_init(&crb, base);
	err = crb_request_locality(&crb);
	if (err)
		return transport_error("request locality", err);
	err = crb_cmd_ready(&crb);
	if (err) {
		transport_error("cmd_ready", err);
		(void)crb_relinquish(&crb);
		return EXIT_TRANSPORT;
	}
	/* extra reads for visibility (Linux does not make them) */
	loc_sts = crb_read32(&crb, CRB_LOC_STS);
	ctrl_sts = crb_read32(&crb, CRB_CTRL_STS);
	err = crb_setup_buffers(&crb);

	printf(TAG "reg LOC_STATE 0x%08x\n", crb.loc_state);
	printf(TAG "reg LOC_STS 0x%08x\n", loc_sts);
	printf(TAG "reg CTRL_STS 0x%08x\n", ctrl_sts);
	printf(TAG "reg CMD_HADDR 0x%08x\n", crb.cmd_haddr);
	printf(TAG "reg CMD_LADDR 0x%08x\n", crb.cmd_laddr);
	printf(TAG "reg CMD_SIZE 0x%08x\n", crb.cmd_size);
	printf(TAG "reg RSP_ADDR 0x%016llx\n", crb.rsp_addr);
	printf(TAG "reg RSP_SIZE 0x%08x\n", crb.rsp_size);

	if (err) {
		transport_error("buffer setup", err);
		(void)crb_go_idle(&crb);
		(void)crb_relinquish(&crb);
		return EXIT_TRANSPORT;
	}
	err = crb_go_idle(&crb);
	err2 = crb_relinquish(&crb);
	if (err)
		return transport_error("go_idle", err);
	if (err2)
		return transport_error("relinquish", err2);
	return 0;
}

int guest_main(const char *cmdline)
{
	const struct acpi_tpm2 *t;
	uintptr_t base;
	int st;

	(void)cmdline;
	t = (const struct acpi_tpm2 *)acpi_find_table("TPM2");
	if (!t || t->hdr.length < sizeof(*t)) {
		printf(TAG "no TPM2 table\n");
		return EXIT_NO_TPM;
	}
	if (t->start_method != ACPI_TPM2_START_CRB) {
		printf(TAG "TPM2 start method %u is not CRB\n", t->start_method);
		return EXIT_NO_TPM;
	}
	if (t->control_area < 0x40 || t->control_area >= 0x100000000ull) {
		printf(TAG "ERROR TPM2 control area 0x%016llx unusable\n", t->control_area);
		return EXIT_TRANSPORT;
	}
	base = (uintptr_t)(t->control_area - 0x40);

	st = attach(base);
	if (!st)
		st = do_startup();
	if (!st)
		st = do_get_random();
	if (!st)
		st = do_pcr_reset();
	if (!st)
		st = do_pcr_extend();
	if (!st)
		st = do_pcr_read();
	if (!st)
		st = do_manufacturer();
	if (st)
		return st;
	printf(TAG "PASS\n");
	return EXIT_OK;
}
