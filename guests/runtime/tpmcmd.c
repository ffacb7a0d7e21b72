/* tpmcmd.c - shared TPM commands and result lines (see tpmcmd.h). */
#include "tpmcmd.h"
#include "console.h"
#include "string.h"

const u8 tpmcmd_vmsim_digest[TPM_SHA256_SIZE] = {
	0xaa, 0xc3, 0x14, 0x70, 0xdf, 0x8f, 0xc5, 0xa6,
	0x2f, 0xee, 0xc8, 0x2b, 0x81, 0x52, 0x42, 0xa1,
	0x5b, 0x51, 0x94, 0x77, 0x95, 0x1b, 0x6a, 0x20,
	0x68, 0xec, 0x18, 0x3a, 0xa6, 0x18, 0xbd, 0x36,
};

/* The test PCR after PCR_Reset and one extend: SHA-256(32 zero bytes || digest). */
static const u8 expected_pcr[TPM_SHA256_SIZE] = {
	0xd3, 0xda, 0xf6, 0x3e, 0x72, 0x58, 0xca, 0x67,
	0x44, 0x30, 0x4e, 0x0d, 0x20, 0x0a, 0x94, 0x8b,
	0x48, 0xdf, 0x42, 0xc1, 0x20, 0xdf, 0xa4, 0x82,
	0x64, 0x2d, 0xe5, 0xf0, 0x09, 0x1f, 0xd5, 0x27,
};

int tpmcmd_run(const struct tpmcmd *t, const char *step, u32 len, struct tpm2_rsp *r)
{
	u32 rsp_len = 0;
	int err;

	if (len == 0) {
		printf("%sERROR %s: command does not fit the buffer\n", t->tag, step);
		return TPMCMD_EXIT_TRANSPORT;
	}
	err = t->transmit(t->cmd, len, t->rsp, t->rsp_cap, &rsp_len);
	if (err)
		return t->transport_error(step, err);
	if (tpm2_rsp_begin(r, t->rsp, rsp_len) != 0) {
		printf("%sERROR %s: malformed response header (tag 0x%04x size %u, %u bytes)\n",
		       t->tag, step, r->tag, r->size, rsp_len);
		return TPMCMD_EXIT_TRANSPORT;
	}
	return 0;
}

static int command_failed(const struct tpmcmd *t, const char *step, u32 rc)
{
	printf("%sFAIL %s rc=0x%03x %s\n", t->tag, step, rc, tpm2_rc_name(rc));
	return TPMCMD_EXIT_TPM_FAIL;
}

static int malformed(const struct tpmcmd *t, const char *step)
{
	printf("%sERROR %s: malformed response body\n", t->tag, step);
	return TPMCMD_EXIT_TRANSPORT;
}

int tpmcmd_startup(const struct tpmcmd *t)
{
	struct tpm2_rsp r;
	int st = tpmcmd_run(t, "startup", tpm2_build_startup(t->cmd, t->cmd_cap, TPM_SU_CLEAR), &r);

	if (st)
		return st;
	if (r.rc == TPM_RC_INITIALIZE) {
		/* firmware (SeaBIOS on QEMU) already sent Startup */
		printf("%sresult startup rc=0x%03x %s (already started, accepted)\n",
		       t->tag, r.rc, tpm2_rc_name(r.rc));
		return 0;
	}
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "startup", r.rc);
	printf("%sresult startup rc=0x%03x %s\n", t->tag, r.rc, tpm2_rc_name(r.rc));
	return 0;
}

int tpmcmd_get_random(const struct tpmcmd *t, u16 n)
{
	struct tpm2_rsp r;
	u8 rnd[64];
	u32 got;
	int st;

	if (n > sizeof(rnd))
		return malformed(t, "random");
	st = tpmcmd_run(t, "random", tpm2_build_get_random(t->cmd, t->cmd_cap, n), &r);
	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "random", r.rc);
	if (tpm2_parse_get_random(&r, rnd, sizeof(rnd), &got) != 0 || got != n)
		return malformed(t, "random");
	printf("%sresult random %u ", t->tag, got);
	console_hex(rnd, got);
	console_putc('\n');
	return 0;
}

/* "IBM" for 0x49424d00: trailing NULs dropped, other unprintables as '.' */
static void manufacturer_string(u32 val, char s[5])
{
	u32 i;

	for (i = 0; i < 4; i++) {
		char ch = (char)(val >> (24 - 8 * i));
		s[i] = (ch >= 0x20 && ch < 0x7F) ? ch : '.';
	}
	s[4] = '\0';
	for (i = 4; i > 0 && (u8)(val >> (8 * (4 - i))) == 0; i--)
		s[i - 1] = '\0';
}

int tpmcmd_manufacturer(const struct tpmcmd *t)
{
	struct tpm2_rsp r;
	u32 prop, val;
	char s[5];
	int st = tpmcmd_run(t, "manufacturer",
			    tpm2_build_get_capability(t->cmd, t->cmd_cap, TPM_CAP_TPM_PROPERTIES,
						      TPM_PT_MANUFACTURER, 1), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "manufacturer", r.rc);
	if (tpm2_parse_get_capability_prop(&r, &prop, &val) != 0 || prop != TPM_PT_MANUFACTURER)
		return malformed(t, "manufacturer");
	manufacturer_string(val, s);
	printf("%sresult manufacturer 0x%08x \"%s\"\n", t->tag, val, s);
	return 0;
}

int tpmcmd_pcr_reset(const struct tpmcmd *t, u32 pcr)
{
	struct tpm2_rsp r;
	int st = tpmcmd_run(t, "pcr-reset", tpm2_build_pcr_reset(t->cmd, t->cmd_cap, pcr), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "pcr-reset", r.rc);
	printf("%sresult pcr-reset %u rc=0x%03x %s\n", t->tag, pcr, r.rc, tpm2_rc_name(r.rc));
	return 0;
}

int tpmcmd_pcr_extend_vmsim(const struct tpmcmd *t, u32 pcr)
{
	struct tpm2_rsp r;
	int st = tpmcmd_run(t, "pcr-extend",
			    tpm2_build_pcr_extend_sha256(t->cmd, t->cmd_cap, pcr, tpmcmd_vmsim_digest),
			    &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "pcr-extend", r.rc);
	printf("%sresult pcr-extend %u sha256=", t->tag, pcr);
	console_hex(tpmcmd_vmsim_digest, sizeof(tpmcmd_vmsim_digest));
	console_putc('\n');
	return 0;
}

int tpmcmd_pcr_read_check(const struct tpmcmd *t, u32 pcr)
{
	struct tpm2_rsp r;
	u8 val[TPM_SHA256_SIZE];
	int st = tpmcmd_run(t, "pcr-read", tpm2_build_pcr_read_sha256(t->cmd, t->cmd_cap, pcr), &r);

	if (st)
		return st;
	if (r.rc != TPM_RC_SUCCESS)
		return command_failed(t, "pcr-read", r.rc);
	if (tpm2_parse_pcr_read_sha256(&r, val) != 0)
		return malformed(t, "pcr-read");
	printf("%sresult pcr-read %u sha256=", t->tag, pcr);
	console_hex(val, sizeof(val));
	console_putc('\n');
	if (memcmp(val, expected_pcr, sizeof(val)) != 0) {
		printf("%sFAIL pcr-read rc=0x%03x %s (value differs from expected ",
		       t->tag, r.rc, tpm2_rc_name(r.rc));
		console_hex(expected_pcr, sizeof(expected_pcr));
		printf(")\n");
		return TPMCMD_EXIT_TPM_FAIL;
	}
	return 0;
}

int tpmcmd_linux_set(const struct tpmcmd *t)
{
	int st = tpmcmd_startup(t);

	if (!st)
		st = tpmcmd_get_random(t, 16);
	if (!st)
		st = tpmcmd_pcr_reset(t, TPMCMD_TEST_PCR);
	if (!st)
		st = tpmcmd_pcr_extend_vmsim(t, TPMCMD_TEST_PCR);
	if (!st)
		st = tpmcmd_pcr_read_check(t, TPMCMD_TEST_PCR);
	if (!st)
		st = tpmcmd_manufacturer(t);
	return st;
}

int tpmcmd_startup_random_pass(const struct tpmcmd *t)
{
	int st = tpmcmd_startup(t);

	if (!st)
		st = tpmcmd_get_random(t, 16);
	if (!st)
		printf("%sPASS\n", t->tag);
	return st;
}
