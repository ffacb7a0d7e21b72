/* crb-script.c - a scriptable CRB driver for vmsim's TPM state, backend,
 * latency and fault-injection tests.
 *
 * Discovery and attach exactly as crb-linux (ACPI TPM2 table, start method 7,
 * crb_map_io(): locality, cmdReady, buffer registers printed, goIdle,
 * relinquish).  Then the comma-separated list in ops= is run in order, every
 * command framed like Linux by crb_transmit() (request locality, cmdReady,
 * send, poll START, recv, goIdle, relinquish).  Each op prints one line:
 *
 *   crb-script: <op> rc=0x<rc> <RC NAME>[ <result>]
 *
 * A transport error (timeout, tpmSts, bad length, malformed header) prints
 * rc=0xfff "transport error" followed by the details in parentheses.  Like
 * Linux tpm_transmit(), a single op resends its command while the TPM answers
 * TPM_RC_RETRY/TPM_RC_TESTING and adds " retries=N"; retry=0 on the
 * command line prints the first answer instead.  loop:N and cancel-test never
 * resend.
 *
 * Exit status: 0 every op ran (whatever response codes it got), 2 no TPM2
 * table or not CRB, 3 bad command line, or a transport error in attach or in
 * an op other than loop:N and cancel-test (the remaining ops still run).
 */
#include "runtime/guest.h"
#include "runtime/acpi.h"
#include "runtime/crb.h"
#include "runtime/tpm2.h"
#include "runtime/time.h"
#include "runtime/tpm_attach.h"
#include "runtime/tpmcmd.h"

#define TAG "crb-script: "

#define EXIT_OK        0
#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

#define RC_TRANSPORT   0xFFFu  /* printed for a transport error */

#define TEST_PCR       16
#define NV_INDEX       0x01500016u
#define NV_SIZE        16
/* 0x02060006: OWNERWRITE | AUTHWRITE | OWNERREAD | AUTHREAD | NO_DA, an
 * ordinary index.  Without NO_DA the first authorization with the index's
 * (DA-protected) authValue after Startup gets TPM_RC_RETRY from swtpm. */
#define NV_ATTRIBUTES  (TPMA_NV_OWNERWRITE | TPMA_NV_AUTHWRITE | \
			TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA)
#define RANDOM_BYTES   16
#define LOOP_MAX       1000000u
#define CANCEL_MS_DEFAULT 200u
#define OP_MAX_LEN     24

static const char nv_data[NV_SIZE] = {
	'v', 'm', 's', 'i', 'm', '-', 'n', 'v', '-', 't', 'e', 's', 't', '-', '0', '1',
};

enum op_kind {
	OP_STARTUP, OP_SHUTDOWN, OP_RANDOM, OP_PCR_EXTEND, OP_PCR_RESET, OP_PCR_READ,
	OP_NV_DEFINE, OP_NV_WRITE, OP_NV_READ, OP_NV_UNDEFINE, OP_LOOP, OP_CANCEL_TEST,
	OP_LOCALITY, OP_PCR_RESET_N,
};

static const struct {
	const char *name;
	enum op_kind kind;
} op_names[] = {
	{ "startup", OP_STARTUP },
	{ "shutdown", OP_SHUTDOWN },
	{ "random", OP_RANDOM },
	{ "pcr-extend", OP_PCR_EXTEND },
	{ "pcr-reset", OP_PCR_RESET },
	{ "pcr-read", OP_PCR_READ },
	{ "nv-define", OP_NV_DEFINE },
	{ "nv-write", OP_NV_WRITE },
	{ "nv-read", OP_NV_READ },
	{ "nv-undefine", OP_NV_UNDEFINE },
	{ "cancel-test", OP_CANCEL_TEST },
};

static struct crb crb;
static uintptr_t tpm_base;             /* locality 0's register page */
static u8 cmd_buf[4096];
static u8 rsp_buf[4096];
static u32 cancel_ms = CANCEL_MS_DEFAULT;
static u32 retry = 1;                  /* retry=0: no TPM_RC_RETRY loop */
static u32 retries;                    /* resends of the current op */
static char op_text[OP_MAX_LEN + 1];   /* the op being run, as written */

/* ---------------- command line ---------------- */

/* Parses one op word (not NUL-terminated).  Returns 0 and sets kind (and
 * *count for loop:N), or -1. */
static int parse_op(const char *w, size_t n, enum op_kind *kind, u32 *count)
{
	u32 i;

	static const struct {
		const char *prefix;
		enum op_kind kind;
		u32 min, max;
	} numbered[] = {
		{ "loop:", OP_LOOP, 1, LOOP_MAX },
		{ "locality:", OP_LOCALITY, 0, 4 },      /* use locality N's register page */
		{ "pcr-reset:", OP_PCR_RESET_N, 0, 23 }, /* PCR_Reset(N) */
	};

	for (i = 0; i < ARRAY_SIZE(numbered); i++) {
		size_t p = strlen(numbered[i].prefix), j;
		u64 acc = 0;

		if (n <= p || strncmp(w, numbered[i].prefix, p) != 0)
			continue;
		for (j = p; j < n; j++) {
			if (w[j] < '0' || w[j] > '9')
				return -1;
			acc = acc * 10 + (u32)(w[j] - '0');
			if (acc > numbered[i].max)
				return -1;
		}
		if (acc < numbered[i].min)
			return -1;
		*kind = numbered[i].kind;
		*count = (u32)acc;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (strlen(op_names[i].name) == n && strncmp(w, op_names[i].name, n) == 0) {
			*kind = op_names[i].kind;
			*count = 0;
			return 0;
		}
	}
	return -1;
}

/* Next op word of the ops= value [*pos, len); returns its length, sets *start.
 * Words are separated by single commas. */
static size_t next_word(const char *v, size_t len, size_t *pos, const char **start)
{
	size_t n = 0;

	*start = v + *pos;
	while (*pos + n < len && v[*pos + n] != ',')
		n++;
	*pos += n + 1;   /* past the comma (or past the end) */
	return n;
}

static void set_op_text(const char *w, size_t n)
{
	if (n > OP_MAX_LEN)
		n = OP_MAX_LEN;
	memcpy(op_text, w, n);
	op_text[n] = '\0';
}

static int bad_cmdline(const char *why, const char *w, size_t n)
{
	if (w) {
		set_op_text(w, n);
		printf(TAG "bad command line: %s '%s'\n", why, op_text);
	} else {
		printf(TAG "bad command line: %s\n", why);
	}
	printf(TAG "usage: ops=OP[,OP...] [cancel_ms=N] [retry=0|1]; OP: startup shutdown random "
	       "pcr-extend pcr-reset pcr-read nv-define nv-write nv-read nv-undefine "
	       "loop:N (N 1..1000000) cancel-test locality:N (0..4) pcr-reset:N (0..23)\n");
	return EXIT_TRANSPORT;
}

/* Validates the whole command line before the device is touched. */
static int check_cmdline(const char *cmdline, const char **ops, size_t *ops_len)
{
	size_t pos = 0, n;
	const char *w;
	enum op_kind kind;
	u32 count;
	int r;

	*ops = cmdline_find(cmdline, "ops", ops_len);
	if (!*ops || *ops_len == 0)
		return bad_cmdline("no ops= list", NULL, 0);
	r = cmdline_get_u32(cmdline, "cancel_ms", &cancel_ms);
	if (r < 0 || cancel_ms == 0)
		return bad_cmdline("cancel_ms= must be a number of milliseconds >= 1", NULL, 0);
	r = cmdline_get_u32(cmdline, "retry", &retry);
	if (r < 0 || retry > 1)
		return bad_cmdline("retry= must be 0 or 1", NULL, 0);
	while (pos <= *ops_len) {
		n = next_word(*ops, *ops_len, &pos, &w);
		if (n == 0)
			return bad_cmdline("empty op in", *ops, *ops_len);
		if (n > OP_MAX_LEN || parse_op(w, n, &kind, &count) != 0)
			return bad_cmdline("bad op", w, n);
	}
	return 0;
}

/* ---------------- reporting ---------------- */

/* "(what; REGISTER 0x........)" for the last CRB error */
static void print_crb_detail(int err)
{
	const char *reg = crb_reg_name(crb.err_reg);

	if (reg)
		printf("(%s; %s 0x%08x)", crb_strerror(err), reg, crb.err_val);
	else
		printf("(%s; 0x%x)", crb_strerror(err), crb.err_val);
}

/* The start of an op line: "crb-script: <op> rc=0x... NAME" (no newline). */
static void print_rc(u32 rc)
{
	if (rc == RC_TRANSPORT)
		printf(TAG "%s rc=0x%03x transport error", op_text, rc);
	else
		printf(TAG "%s rc=0x%03x %s", op_text, rc, tpm2_rc_name(rc));
}

/* ---------------- one command ---------------- */

enum xres {
	X_OK,         /* response received and its header parsed: r valid */
	X_CANCELLED,  /* completion timed out, cancel requested, response parsed */
	X_TRANSPORT,  /* no usable response; detail in xerr / crb.err_* */
};

static int xerr;          /* CRB error of the last X_TRANSPORT, or 1 for a bad header */
static u32 xerr_len;      /* response length of a malformed header */

static enum xres transmit(u32 len, struct tpm2_rsp *r)
{
	u32 rsp_len = 0;
	int err;

	xerr = 0;
	if (len == 0) {
		xerr = CRB_E_TOO_BIG;
		crb.err_reg = 0xFFFFFFFFu;
		crb.err_val = 0;
		return X_TRANSPORT;
	}
	err = crb_transmit(&crb, cmd_buf, len, rsp_buf, sizeof(rsp_buf), &rsp_len);
	if (err && err != CRB_E_CANCELLED) {
		xerr = err;
		return X_TRANSPORT;
	}
	if (tpm2_rsp_begin(r, rsp_buf, rsp_len) != 0) {
		xerr = 1;
		xerr_len = rsp_len;
		return X_TRANSPORT;
	}
	return err == CRB_E_CANCELLED ? X_CANCELLED : X_OK;
}

/* "rc=0xfff transport error (...)" without newline. */
static void print_transport(const struct tpm2_rsp *r)
{
	print_rc(RC_TRANSPORT);
	console_putc(' ');
	if (xerr == 1)
		printf("(malformed response header: tag 0x%04x size %u, %u bytes)",
		       r->tag, r->size, xerr_len);
	else
		print_crb_detail(xerr);
}

/* Ends an op line: " retries=N" when the command was resent, newline. */
static void end_line(void)
{
	if (retries)
		printf(" retries=%u", retries);
	console_putc('\n');
}

/* Runs one command for an ordinary op, resending it like Linux tpm_transmit()
 * while the TPM answers TPM_RC_RETRY or TPM_RC_TESTING (sleep 20 ms, doubling,
 * give up once the next sleep would exceed 2000 ms; retry=0 turns this off).
 * Prints the op line up to the rc name and returns 1 with *r valid, or prints
 * the whole transport-error line and returns 0 (*transport set).  A timeout
 * whose cancel got a response is still a transport error here (Linux fails
 * the command with -ETIME); the rc the TPM gave is added to the detail. */
static int command(u32 len, struct tpm2_rsp *r, int *transport)
{
	u32 delay_ms = 20;
	enum xres x;

	retries = 0;
	for (;;) {
		x = transmit(len, r);
		if (x != X_OK || !retry)
			break;
		if (r->rc != TPM_RC_RETRY && r->rc != TPM_RC_TESTING)
			break;
		if (delay_ms > 2000)
			break;
		mdelay(delay_ms);
		delay_ms *= 2;
		retries++;
	}
	if (x == X_OK) {
		print_rc(r->rc);
		return 1;
	}
	if (x == X_CANCELLED) {
		print_rc(RC_TRANSPORT);
		printf(" (%s; cancel answered rc=0x%03x %s)", crb_strerror(CRB_E_CANCELLED),
		       r->rc, tpm2_rc_name(r->rc));
	} else {
		print_transport(r);
	}
	end_line();
	*transport = 1;
	return 0;
}

/* ---------------- ops ---------------- */

static void op_simple(u32 len, int *transport)
{
	struct tpm2_rsp r;

	if (command(len, &r, transport))
		end_line();
}

static void op_random(int *transport)
{
	struct tpm2_rsp r;
	u8 rnd[RANDOM_BYTES];
	u32 n;

	if (!command(tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), RANDOM_BYTES), &r, transport))
		return;
	if (r.rc == TPM_RC_SUCCESS) {
		if (tpm2_parse_get_random(&r, rnd, sizeof(rnd), &n) != 0 || n != sizeof(rnd)) {
			printf(" (malformed response body)");
			end_line();
			*transport = 1;
			return;
		}
		console_putc(' ');
		console_hex(rnd, n);
	}
	end_line();
}

static void op_pcr_read(int *transport)
{
	struct tpm2_rsp r;
	u8 pcr[TPM_SHA256_SIZE];

	if (!command(tpm2_build_pcr_read_sha256(cmd_buf, sizeof(cmd_buf), TEST_PCR), &r, transport))
		return;
	if (r.rc == TPM_RC_SUCCESS) {
		if (tpm2_parse_pcr_read_sha256(&r, pcr) != 0) {
			printf(" (malformed response body)");
			end_line();
			*transport = 1;
			return;
		}
		printf(" sha256=");
		console_hex(pcr, sizeof(pcr));
	}
	end_line();
}

static void op_nv_read(int *transport)
{
	struct tpm2_rsp r;
	u8 data[NV_SIZE];
	u32 n;

	if (!command(tpm2_build_nv_read(cmd_buf, sizeof(cmd_buf), NV_INDEX, NV_INDEX, NV_SIZE, 0),
		     &r, transport))
		return;
	if (r.rc == TPM_RC_SUCCESS) {
		if (tpm2_parse_nv_read(&r, data, sizeof(data), &n) != 0 || n != sizeof(data)) {
			printf(" (malformed response body)");
			end_line();
			*transport = 1;
			return;
		}
		printf(" data=");
		console_hex(data, n);
	}
	end_line();
}

/* loop:N - N x GetRandom(16), going on after failures.  The line's rc is the
 * last one (0xfff after a transport error), repeated as last_rc=. */
static void op_loop(u32 count)
{
	struct tpm2_rsp r;
	u8 rnd[RANDOM_BYTES];
	u32 i, n, ok = 0, failed = 0, last = TPM_RC_SUCCESS;
	u32 len = tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), RANDOM_BYTES);

	for (i = 0; i < count; i++) {
		/* crb_transmit() already goes idle and relinquishes after a
		 * failed exchange, so the next iteration starts from idle */
		if (transmit(len, &r) != X_OK) {
			last = RC_TRANSPORT;
			failed++;
			continue;
		}
		last = r.rc;
		if (r.rc == TPM_RC_SUCCESS &&
		    tpm2_parse_get_random(&r, rnd, sizeof(rnd), &n) == 0 && n == sizeof(rnd))
			ok++;
		else
			failed++;
	}
	print_rc(last);
	printf(" ok=%u failed=%u last_rc=0x%03x\n", ok, failed, last);
}

/* cancel-test - GetRandom(16) with a completion poll of cancel_ms; on timeout
 * the runtime's cancel path (CTRL_CANCEL=1, wait for START, read, CANCEL=0).
 * Prints the rc finally received and whether a cancel was requested. */
static void op_cancel_test(void)
{
	struct tpm2_rsp r;
	enum xres x;

	crb.timeout_cmd_ms = cancel_ms;
	x = transmit(tpm2_build_get_random(cmd_buf, sizeof(cmd_buf), RANDOM_BYTES), &r);
	crb.timeout_cmd_ms = CRB_TIMEOUT_CMD_MS;
	if (x == X_TRANSPORT) {
		print_transport(&r);
		/* a timeout means CTRL_CANCEL=1 was written (START stuck) */
		printf(" cancel=%s cancel_ms=%u\n", xerr == CRB_E_TIMEOUT ? "requested" : "none",
		       cancel_ms);
		return;
	}
	print_rc(r.rc);
	printf(" cancel=%s cancel_ms=%u\n", x == X_CANCELLED ? "requested" : "none", cancel_ms);
}

static int run_op(enum op_kind kind, u32 count)
{
	int transport = 0;

	switch (kind) {
	case OP_STARTUP:
		op_simple(tpm2_build_startup(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR), &transport);
		break;
	case OP_SHUTDOWN:
		op_simple(tpm2_build_shutdown(cmd_buf, sizeof(cmd_buf), TPM_SU_CLEAR), &transport);
		break;
	case OP_RANDOM:
		op_random(&transport);
		break;
	case OP_PCR_EXTEND:
		op_simple(tpm2_build_pcr_extend_sha256(cmd_buf, sizeof(cmd_buf), TEST_PCR,
						       tpmcmd_vmsim_digest), &transport);
		break;
	case OP_PCR_RESET:
		op_simple(tpm2_build_pcr_reset(cmd_buf, sizeof(cmd_buf), TEST_PCR), &transport);
		break;
	case OP_PCR_READ:
		op_pcr_read(&transport);
		break;
	case OP_NV_DEFINE:
		op_simple(tpm2_build_nv_define_space(cmd_buf, sizeof(cmd_buf), TPM_RH_OWNER,
						     NV_INDEX, NV_ATTRIBUTES, NV_SIZE), &transport);
		break;
	case OP_NV_WRITE:
		op_simple(tpm2_build_nv_write(cmd_buf, sizeof(cmd_buf), NV_INDEX, NV_INDEX,
					      nv_data, NV_SIZE, 0), &transport);
		break;
	case OP_NV_READ:
		op_nv_read(&transport);
		break;
	case OP_NV_UNDEFINE:
		op_simple(tpm2_build_nv_undefine_space(cmd_buf, sizeof(cmd_buf), TPM_RH_OWNER,
						       NV_INDEX), &transport);
		break;
	case OP_LOOP:
		op_loop(count);
		break;
	case OP_CANCEL_TEST:
		op_cancel_test();
		break;
	case OP_LOCALITY:
		/* Registers through locality N's page (base + 0x1000 * N); the data
		 * buffer addresses stay those CMD_LADDR/RSP_ADDR gave. */
		crb.base = tpm_base + 0x1000u * count;
		printf(TAG "%s\n", op_text);
		break;
	case OP_PCR_RESET_N:
		op_simple(tpm2_build_pcr_reset(cmd_buf, sizeof(cmd_buf), count), &transport);
		break;
	}
	return transport;
}

/* ---------------- discovery ---------------- */

static int attach_error(const char *step, int err)
{
	printf(TAG "ERROR %s: ", step);
	print_crb_detail(err);
	console_putc('\n');
	return EXIT_TRANSPORT;
}

int guest_main(const char *cmdline)
{
	const char *ops, *w;
	size_t ops_len, pos = 0, n;
	enum op_kind kind;
	u32 count;
	int st, transport = 0;

	st = check_cmdline(cmdline, &ops, &ops_len);
	if (st)
		return st;

	st = tpm_find_tpm2(TAG, ACPI_TPM2_START_CRB, &tpm_base);
	if (st)
		return st;
	/* crb_map_io() as crb-linux: the same reg lines */
	st = crb_map_io(&crb, tpm_base, TAG, attach_error);
	if (st)
		return st;

	while (pos <= ops_len) {
		n = next_word(ops, ops_len, &pos, &w);
		(void)parse_op(w, n, &kind, &count);   /* validated by check_cmdline */
		set_op_text(w, n);
		if (run_op(kind, count) && kind != OP_LOOP && kind != OP_CANCEL_TEST)
			transport = 1;
	}
	printf(TAG "done\n");
	return transport ? EXIT_TRANSPORT : EXIT_OK;
}
