/* tpm2.c - TPM 2.0 marshalling, parsing and response-code names. */
#include "tpm2.h"
#include "string.h"

/* ---------------- response-code names ---------------- */

struct rc_name {
	u16 rc;
	const char *name;
};

static const struct rc_name rc_names[] = {
	{ TPM_RC_SUCCESS, "TPM_RC_SUCCESS" },
	{ TPM_RC_BAD_TAG, "TPM_RC_BAD_TAG" },
	/* format zero, version 1 (0x100 + n) */
	{ TPM_RC_INITIALIZE, "TPM_RC_INITIALIZE" },
	{ TPM_RC_FAILURE, "TPM_RC_FAILURE" },
	{ TPM_RC_SEQUENCE, "TPM_RC_SEQUENCE" },
	{ TPM_RC_DISABLED, "TPM_RC_DISABLED" },
	{ TPM_RC_EXCLUSIVE, "TPM_RC_EXCLUSIVE" },
	{ TPM_RC_AUTH_TYPE, "TPM_RC_AUTH_TYPE" },
	{ TPM_RC_AUTH_MISSING, "TPM_RC_AUTH_MISSING" },
	{ TPM_RC_POLICY, "TPM_RC_POLICY" },
	{ TPM_RC_PCR, "TPM_RC_PCR" },
	{ TPM_RC_PCR_CHANGED, "TPM_RC_PCR_CHANGED" },
	{ TPM_RC_UPGRADE, "TPM_RC_UPGRADE" },
	{ TPM_RC_REBOOT, "TPM_RC_REBOOT" },
	{ TPM_RC_COMMAND_SIZE, "TPM_RC_COMMAND_SIZE" },
	{ TPM_RC_COMMAND_CODE, "TPM_RC_COMMAND_CODE" },
	{ TPM_RC_AUTHSIZE, "TPM_RC_AUTHSIZE" },
	{ TPM_RC_AUTH_CONTEXT, "TPM_RC_AUTH_CONTEXT" },
	{ TPM_RC_NV_RANGE, "TPM_RC_NV_RANGE" },
	{ TPM_RC_NV_SIZE, "TPM_RC_NV_SIZE" },
	{ TPM_RC_NV_LOCKED, "TPM_RC_NV_LOCKED" },
	{ TPM_RC_NV_AUTHORIZATION, "TPM_RC_NV_AUTHORIZATION" },
	{ TPM_RC_NV_UNINITIALIZED, "TPM_RC_NV_UNINITIALIZED" },
	{ TPM_RC_NV_SPACE, "TPM_RC_NV_SPACE" },
	{ TPM_RC_NV_DEFINED, "TPM_RC_NV_DEFINED" },
	{ TPM_RC_SENSITIVE, "TPM_RC_SENSITIVE" },
	/* format one (0x080 + n; parameter/handle/session number in bits 8-11) */
	{ 0x081, "TPM_RC_ASYMMETRIC" },
	{ 0x082, "TPM_RC_ATTRIBUTES" },
	{ 0x083, "TPM_RC_HASH" },
	{ TPM_RC_VALUE, "TPM_RC_VALUE" },
	{ 0x085, "TPM_RC_HIERARCHY" },
	{ 0x087, "TPM_RC_KEY_SIZE" },
	{ 0x088, "TPM_RC_MGF" },
	{ 0x089, "TPM_RC_MODE" },
	{ 0x08A, "TPM_RC_TYPE" },
	{ TPM_RC_HANDLE, "TPM_RC_HANDLE" },
	{ 0x08C, "TPM_RC_KDF" },
	{ 0x08D, "TPM_RC_RANGE" },
	{ 0x08E, "TPM_RC_AUTH_FAIL" },
	{ 0x08F, "TPM_RC_NONCE" },
	{ 0x090, "TPM_RC_PP" },
	{ 0x092, "TPM_RC_SCHEME" },
	{ TPM_RC_SIZE, "TPM_RC_SIZE" },
	{ 0x096, "TPM_RC_SYMMETRIC" },
	{ 0x097, "TPM_RC_TAG" },
	{ 0x098, "TPM_RC_SELECTOR" },
	{ 0x09A, "TPM_RC_INSUFFICIENT" },
	{ 0x09B, "TPM_RC_SIGNATURE" },
	{ 0x09C, "TPM_RC_KEY" },
	{ 0x09D, "TPM_RC_POLICY_FAIL" },
	{ 0x09F, "TPM_RC_INTEGRITY" },
	{ 0x0A0, "TPM_RC_TICKET" },
	{ 0x0A1, "TPM_RC_RESERVED_BITS" },
	{ 0x0A2, "TPM_RC_BAD_AUTH" },
	{ 0x0A3, "TPM_RC_EXPIRED" },
	{ 0x0A4, "TPM_RC_POLICY_CC" },
	{ 0x0A5, "TPM_RC_BINDING" },
	{ 0x0A6, "TPM_RC_CURVE" },
	{ 0x0A7, "TPM_RC_ECC_POINT" },
	/* warnings (0x900 + n) */
	{ TPM_RC_CONTEXT_GAP, "TPM_RC_CONTEXT_GAP" },
	{ TPM_RC_OBJECT_MEMORY, "TPM_RC_OBJECT_MEMORY" },
	{ TPM_RC_SESSION_MEMORY, "TPM_RC_SESSION_MEMORY" },
	{ TPM_RC_MEMORY, "TPM_RC_MEMORY" },
	{ TPM_RC_SESSION_HANDLES, "TPM_RC_SESSION_HANDLES" },
	{ TPM_RC_OBJECT_HANDLES, "TPM_RC_OBJECT_HANDLES" },
	{ TPM_RC_LOCALITY, "TPM_RC_LOCALITY" },
	{ TPM_RC_YIELDED, "TPM_RC_YIELDED" },
	{ TPM_RC_CANCELED, "TPM_RC_CANCELED" },
	{ TPM_RC_TESTING, "TPM_RC_TESTING" },
	{ TPM_RC_NV_RATE, "TPM_RC_NV_RATE" },
	{ TPM_RC_LOCKOUT, "TPM_RC_LOCKOUT" },
	{ TPM_RC_RETRY, "TPM_RC_RETRY" },
	{ TPM_RC_NV_UNAVAILABLE, "TPM_RC_NV_UNAVAILABLE" },
};

static const char *rc_lookup(u32 rc)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(rc_names); i++)
		if (rc_names[i].rc == rc)
			return rc_names[i].name;
	return NULL;
}

const char *tpm2_rc_name(u32 rc)
{
	const char *n = rc_lookup(rc);

	if (n)
		return n;
	if (rc & 0x080) {
		/* format one: error number in bits 0-5, plus 0x080 */
		n = rc_lookup(0x080 | (rc & 0x03F));
		if (n)
			return n;
	}
	return "TPM_RC_UNKNOWN";
}

/* ---------------- command builder ---------------- */

void tpm2_cmd_begin(struct tpm2_cmd *c, u8 *buf, u32 cap, u16 tag, u32 cc)
{
	c->buf = buf;
	c->cap = cap;
	c->len = 0;
	c->overflow = 0;
	tpm2_put_u16(c, tag);
	tpm2_put_u32(c, 0);        /* commandSize, patched by tpm2_cmd_end */
	tpm2_put_u32(c, cc);
}

void tpm2_put_u8(struct tpm2_cmd *c, u8 v)
{
	if (c->len >= c->cap) {
		c->overflow = 1;
		return;
	}
	c->buf[c->len++] = v;
}

void tpm2_put_u16(struct tpm2_cmd *c, u16 v)
{
	tpm2_put_u8(c, (u8)(v >> 8));
	tpm2_put_u8(c, (u8)v);
}

void tpm2_put_u32(struct tpm2_cmd *c, u32 v)
{
	tpm2_put_u16(c, (u16)(v >> 16));
	tpm2_put_u16(c, (u16)v);
}

void tpm2_put_bytes(struct tpm2_cmd *c, const void *p, u32 n)
{
	const u8 *b = p;

	while (n--)
		tpm2_put_u8(c, *b++);
}

void tpm2_put_pw_session(struct tpm2_cmd *c)
{
	tpm2_put_u32(c, 9);            /* authorizationSize */
	tpm2_put_u32(c, TPM_RS_PW);    /* sessionHandle */
	tpm2_put_u16(c, 0);            /* nonceCaller: empty */
	tpm2_put_u8(c, 0);             /* sessionAttributes */
	tpm2_put_u16(c, 0);            /* hmac: empty password */
}

u32 tpm2_cmd_end(struct tpm2_cmd *c)
{
	if (c->overflow || c->len < TPM2_HEADER_SIZE)
		return 0;
	c->buf[2] = (u8)(c->len >> 24);
	c->buf[3] = (u8)(c->len >> 16);
	c->buf[4] = (u8)(c->len >> 8);
	c->buf[5] = (u8)c->len;
	return c->len;
}

/* ---------------- builders ---------------- */

u32 tpm2_build_startup(u8 *buf, u32 cap, u16 startup_type)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	tpm2_put_u16(&c, startup_type);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_get_random(u8 *buf, u32 cap, u16 bytes)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	tpm2_put_u16(&c, bytes);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_pcr_reset(u8 *buf, u32 cap, u32 pcr)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_PCR_RESET);
	tpm2_put_u32(&c, pcr);         /* @pcrHandle */
	tpm2_put_pw_session(&c);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_pcr_extend_sha256(u8 *buf, u32 cap, u32 pcr, const u8 digest[TPM_SHA256_SIZE])
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	tpm2_put_u32(&c, pcr);         /* @pcrHandle */
	tpm2_put_pw_session(&c);
	tpm2_put_u32(&c, 1);           /* TPML_DIGEST_VALUES.count */
	tpm2_put_u16(&c, TPM_ALG_SHA256);
	tpm2_put_bytes(&c, digest, TPM_SHA256_SIZE);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_pcr_read_sha256(u8 *buf, u32 cap, u32 pcr)
{
	struct tpm2_cmd c;
	u8 select[3] = { 0, 0, 0 };

	if (pcr < 24)
		select[pcr / 8] = (u8)(1u << (pcr % 8));
	tpm2_cmd_begin(&c, buf, cap, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	tpm2_put_u32(&c, 1);           /* TPML_PCR_SELECTION.count */
	tpm2_put_u16(&c, TPM_ALG_SHA256);
	tpm2_put_u8(&c, 3);            /* sizeofSelect */
	tpm2_put_bytes(&c, select, 3);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_get_capability(u8 *buf, u32 cap, u32 capability, u32 property, u32 count)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	tpm2_put_u32(&c, capability);
	tpm2_put_u32(&c, property);
	tpm2_put_u32(&c, count);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_shutdown(u8 *buf, u32 cap, u16 shutdown_type)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_NO_SESSIONS, TPM_CC_SHUTDOWN);
	tpm2_put_u16(&c, shutdown_type);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_nv_define_space(u8 *buf, u32 cap, u32 auth_handle, u32 index,
			       u32 attributes, u16 data_size)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_NV_DEFINE_SPACE);
	tpm2_put_u32(&c, auth_handle);   /* @authHandle (TPMI_RH_PROVISION) */
	tpm2_put_pw_session(&c);
	tpm2_put_u16(&c, 0);             /* auth: TPM2B_AUTH, empty */
	tpm2_put_u16(&c, 14);            /* publicInfo: TPM2B_NV_PUBLIC.size */
	tpm2_put_u32(&c, index);         /*   nvIndex */
	tpm2_put_u16(&c, TPM_ALG_SHA256); /*  nameAlg */
	tpm2_put_u32(&c, attributes);    /*   attributes (TPMA_NV) */
	tpm2_put_u16(&c, 0);             /*   authPolicy: empty */
	tpm2_put_u16(&c, data_size);     /*   dataSize */
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_nv_undefine_space(u8 *buf, u32 cap, u32 auth_handle, u32 index)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_NV_UNDEFINE_SPACE);
	tpm2_put_u32(&c, auth_handle);   /* @authHandle */
	tpm2_put_u32(&c, index);         /* nvIndex */
	tpm2_put_pw_session(&c);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_nv_write(u8 *buf, u32 cap, u32 auth_handle, u32 index,
			const void *data, u16 n, u16 offset)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_NV_WRITE);
	tpm2_put_u32(&c, auth_handle);   /* @authHandle */
	tpm2_put_u32(&c, index);         /* nvIndex */
	tpm2_put_pw_session(&c);
	tpm2_put_u16(&c, n);             /* data: TPM2B_MAX_NV_BUFFER */
	tpm2_put_bytes(&c, data, n);
	tpm2_put_u16(&c, offset);
	return tpm2_cmd_end(&c);
}

u32 tpm2_build_nv_read(u8 *buf, u32 cap, u32 auth_handle, u32 index, u16 size, u16 offset)
{
	struct tpm2_cmd c;

	tpm2_cmd_begin(&c, buf, cap, TPM_ST_SESSIONS, TPM_CC_NV_READ);
	tpm2_put_u32(&c, auth_handle);   /* @authHandle */
	tpm2_put_u32(&c, index);         /* nvIndex */
	tpm2_put_pw_session(&c);
	tpm2_put_u16(&c, size);
	tpm2_put_u16(&c, offset);
	return tpm2_cmd_end(&c);
}

/* ---------------- response parser ---------------- */

int tpm2_rsp_begin(struct tpm2_rsp *r, const u8 *buf, u32 len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->err = 0;
	r->tag = 0;
	r->size = 0;
	r->rc = 0;
	if (len < TPM2_HEADER_SIZE) {
		r->err = 1;
		return -1;
	}
	r->tag = tpm2_get_u16(r);
	r->size = tpm2_get_u32(r);
	r->rc = tpm2_get_u32(r);
	if (r->size != len || (r->tag != TPM_ST_NO_SESSIONS && r->tag != TPM_ST_SESSIONS)) {
		r->err = 1;
		return -1;
	}
	return 0;
}

u8 tpm2_get_u8(struct tpm2_rsp *r)
{
	if (r->err || r->pos >= r->len) {
		r->err = 1;
		return 0;
	}
	return r->buf[r->pos++];
}

u16 tpm2_get_u16(struct tpm2_rsp *r)
{
	u16 hi = tpm2_get_u8(r);

	return (u16)((hi << 8) | tpm2_get_u8(r));
}

u32 tpm2_get_u32(struct tpm2_rsp *r)
{
	u32 hi = tpm2_get_u16(r);

	return (hi << 16) | tpm2_get_u16(r);
}

int tpm2_get_bytes(struct tpm2_rsp *r, void *out, u32 n)
{
	if (r->err || n > r->len - r->pos) {
		r->err = 1;
		return -1;
	}
	if (out)
		memcpy(out, r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

u32 tpm2_get_param_size(struct tpm2_rsp *r)
{
	return tpm2_get_u32(r);
}

/* ---------------- decoders ---------------- */

static void skip_param_size(struct tpm2_rsp *r)
{
	if (r->tag == TPM_ST_SESSIONS)
		(void)tpm2_get_param_size(r);
}

int tpm2_parse_get_random(struct tpm2_rsp *r, u8 *out, u32 cap, u32 *n)
{
	u16 size;

	skip_param_size(r);
	size = tpm2_get_u16(r);              /* TPM2B_DIGEST.size */
	if (r->err || size > cap)
		return -1;
	if (tpm2_get_bytes(r, out, size) != 0)
		return -1;
	*n = size;
	return 0;
}

int tpm2_parse_pcr_read_sha256(struct tpm2_rsp *r, u8 out[TPM_SHA256_SIZE])
{
	u32 i, count;
	u16 size;

	skip_param_size(r);
	(void)tpm2_get_u32(r);               /* pcrUpdateCounter */
	count = tpm2_get_u32(r);             /* pcrSelectionOut.count */
	for (i = 0; i < count && !r->err; i++) {
		u8 sizeof_select;

		(void)tpm2_get_u16(r);        /* hash */
		sizeof_select = tpm2_get_u8(r);
		tpm2_get_bytes(r, NULL, sizeof_select);
	}
	count = tpm2_get_u32(r);             /* pcrValues.count */
	if (r->err || count != 1)
		return -1;
	size = tpm2_get_u16(r);
	if (r->err || size != TPM_SHA256_SIZE)
		return -1;
	return tpm2_get_bytes(r, out, TPM_SHA256_SIZE);
}

int tpm2_parse_get_capability_prop(struct tpm2_rsp *r, u32 *property, u32 *value)
{
	u32 capability, count;

	skip_param_size(r);
	(void)tpm2_get_u8(r);                /* moreData */
	capability = tpm2_get_u32(r);
	count = tpm2_get_u32(r);
	if (r->err || capability != TPM_CAP_TPM_PROPERTIES || count < 1)
		return -1;
	*property = tpm2_get_u32(r);
	*value = tpm2_get_u32(r);
	return r->err ? -1 : 0;
}

int tpm2_parse_nv_read(struct tpm2_rsp *r, u8 *out, u32 cap, u32 *n)
{
	u16 size;

	skip_param_size(r);
	size = tpm2_get_u16(r);              /* TPM2B_MAX_NV_BUFFER.size */
	if (r->err || size > cap)
		return -1;
	if (tpm2_get_bytes(r, out, size) != 0)
		return -1;
	*n = size;
	return 0;
}
