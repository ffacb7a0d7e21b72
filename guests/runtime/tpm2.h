/* tpm2.h - TPM 2.0 command marshalling and response parsing.
 *
 * Everything on the wire is big-endian.  A command is built into a caller
 * buffer: tpm2_cmd_begin() writes tag, a placeholder size and the command
 * code; appenders add fields; tpm2_cmd_end() patches the size and returns the
 * total length (0 if anything overflowed the buffer).
 *
 * A response is parsed with tpm2_rsp_begin(), which checks the 10-byte header
 * (tag, size == received length, rc) and then offers bounds-checked readers.
 * A reader past the end sets rsp->err and returns zeros, so callers may read
 * a whole structure and check rsp->err once.
 */
#ifndef GUEST_TPM2_H
#define GUEST_TPM2_H

#include "types.h"

#define TPM2_HEADER_SIZE      10

#define TPM_ST_NO_SESSIONS    0x8001
#define TPM_ST_SESSIONS       0x8002

#define TPM_CC_NV_UNDEFINE_SPACE 0x00000122
#define TPM_CC_NV_DEFINE_SPACE 0x0000012A
#define TPM_CC_NV_WRITE       0x00000137
#define TPM_CC_PCR_RESET      0x0000013D
#define TPM_CC_STARTUP        0x00000144
#define TPM_CC_SHUTDOWN       0x00000145
#define TPM_CC_NV_READ        0x0000014E
#define TPM_CC_GET_CAPABILITY 0x0000017A
#define TPM_CC_GET_RANDOM     0x0000017B
#define TPM_CC_PCR_READ       0x0000017E
#define TPM_CC_PCR_EXTEND     0x00000182

#define TPM_SU_CLEAR          0x0000
#define TPM_RH_OWNER          0x40000001
#define TPM_RS_PW             0x40000009
#define TPM_ALG_SHA256        0x000B
#define TPM_SHA256_SIZE       32
#define TPM_CAP_TPM_PROPERTIES 0x00000006
#define TPM_PT_MANUFACTURER   0x00000105

/* TPMA_NV bits (TPM 2.0 Part 2, TPMA_NV) */
#define TPMA_NV_PPWRITE       0x00000001
#define TPMA_NV_OWNERWRITE    0x00000002
#define TPMA_NV_AUTHWRITE     0x00000004
#define TPMA_NV_PPREAD        0x00010000
#define TPMA_NV_OWNERREAD     0x00020000
#define TPMA_NV_AUTHREAD      0x00040000
#define TPMA_NV_NO_DA         0x02000000

/* Response codes (format-zero and format-one examples). */
#define TPM_RC_SUCCESS        0x000
#define TPM_RC_BAD_TAG        0x01E
#define TPM_RC_INITIALIZE     0x100
#define TPM_RC_FAILURE        0x101
#define TPM_RC_SEQUENCE       0x103
#define TPM_RC_DISABLED       0x120
#define TPM_RC_EXCLUSIVE      0x121
#define TPM_RC_AUTH_TYPE      0x124
#define TPM_RC_AUTH_MISSING   0x125
#define TPM_RC_POLICY         0x126
#define TPM_RC_PCR            0x127
#define TPM_RC_PCR_CHANGED    0x128
#define TPM_RC_UPGRADE        0x12D
#define TPM_RC_REBOOT         0x130
#define TPM_RC_COMMAND_SIZE   0x142
#define TPM_RC_COMMAND_CODE   0x143
#define TPM_RC_AUTHSIZE       0x144
#define TPM_RC_AUTH_CONTEXT   0x145
#define TPM_RC_NV_RANGE       0x146
#define TPM_RC_NV_SIZE        0x147
#define TPM_RC_NV_LOCKED      0x148
#define TPM_RC_NV_AUTHORIZATION 0x149
#define TPM_RC_NV_UNINITIALIZED 0x14A
#define TPM_RC_NV_SPACE       0x14B
#define TPM_RC_NV_DEFINED     0x14C
#define TPM_RC_SENSITIVE      0x155
#define TPM_RC_VALUE          0x084
#define TPM_RC_HANDLE         0x08B
#define TPM_RC_SIZE           0x095
#define TPM_RC_CONTEXT_GAP    0x901
#define TPM_RC_OBJECT_MEMORY  0x902
#define TPM_RC_SESSION_MEMORY 0x903
#define TPM_RC_MEMORY         0x904
#define TPM_RC_SESSION_HANDLES 0x905
#define TPM_RC_OBJECT_HANDLES 0x906
#define TPM_RC_LOCALITY       0x907
#define TPM_RC_YIELDED        0x908
#define TPM_RC_CANCELED       0x909
#define TPM_RC_TESTING        0x90A
#define TPM_RC_NV_RATE        0x920
#define TPM_RC_LOCKOUT        0x921
#define TPM_RC_RETRY          0x922
#define TPM_RC_NV_UNAVAILABLE 0x923

/* Name of a response code, e.g. "TPM_RC_SUCCESS".  Format-one codes (bit 7
 * set: parameter/handle/session number in bits 8-11) are named by their
 * error number, e.g. 0x1C4 -> "TPM_RC_VALUE (fmt1)"; unknown codes give
 * "TPM_RC_UNKNOWN". */
const char *tpm2_rc_name(u32 rc);

/* ---- command builder ---- */
struct tpm2_cmd {
	u8 *buf;
	u32 cap;
	u32 len;
	int overflow;
};

void tpm2_cmd_begin(struct tpm2_cmd *c, u8 *buf, u32 cap, u16 tag, u32 cc);
void tpm2_put_u8(struct tpm2_cmd *c, u8 v);
void tpm2_put_u16(struct tpm2_cmd *c, u16 v);
void tpm2_put_u32(struct tpm2_cmd *c, u32 v);
void tpm2_put_bytes(struct tpm2_cmd *c, const void *p, u32 n);
/* Empty-password authorization area: authorizationSize (9), TPM_RS_PW,
 * nonce size 0, attributes 0, hmac size 0. */
void tpm2_put_pw_session(struct tpm2_cmd *c);
/* Patches commandSize; returns the total length, or 0 on overflow. */
u32 tpm2_cmd_end(struct tpm2_cmd *c);

/* ---- builders; each returns the command length (0 if cap is too small) ---- */
u32 tpm2_build_startup(u8 *buf, u32 cap, u16 startup_type);
u32 tpm2_build_get_random(u8 *buf, u32 cap, u16 bytes);
u32 tpm2_build_pcr_reset(u8 *buf, u32 cap, u32 pcr);
u32 tpm2_build_pcr_extend_sha256(u8 *buf, u32 cap, u32 pcr, const u8 digest[TPM_SHA256_SIZE]);
u32 tpm2_build_pcr_read_sha256(u8 *buf, u32 cap, u32 pcr);
u32 tpm2_build_get_capability(u8 *buf, u32 cap, u32 capability, u32 property, u32 count);
u32 tpm2_build_shutdown(u8 *buf, u32 cap, u16 shutdown_type);
/* NV_DefineSpace(@authHandle, empty-password session): empty auth value,
 * TPMS_NV_PUBLIC { index, nameAlg SHA-256, attributes, empty authPolicy,
 * data_size }. */
u32 tpm2_build_nv_define_space(u8 *buf, u32 cap, u32 auth_handle, u32 index,
			       u32 attributes, u16 data_size);
/* NV_UndefineSpace(@authHandle, nvIndex), empty-password session. */
u32 tpm2_build_nv_undefine_space(u8 *buf, u32 cap, u32 auth_handle, u32 index);
/* NV_Write(@authHandle, nvIndex), empty-password session, data, offset. */
u32 tpm2_build_nv_write(u8 *buf, u32 cap, u32 auth_handle, u32 index,
			const void *data, u16 n, u16 offset);
/* NV_Read(@authHandle, nvIndex), empty-password session, size, offset. */
u32 tpm2_build_nv_read(u8 *buf, u32 cap, u32 auth_handle, u32 index, u16 size, u16 offset);

/* ---- response parser ---- */
struct tpm2_rsp {
	const u8 *buf;
	u32 len;
	u32 pos;
	int err;     /* set by any out-of-bounds read or a bad header */
	u16 tag;
	u32 size;
	u32 rc;
};

/* Parses the header of a len-byte response.  Returns 0 when the header is
 * well-formed (len >= 10 and size == len), -1 otherwise (rsp->err set). */
int tpm2_rsp_begin(struct tpm2_rsp *r, const u8 *buf, u32 len);
u8 tpm2_get_u8(struct tpm2_rsp *r);
u16 tpm2_get_u16(struct tpm2_rsp *r);
u32 tpm2_get_u32(struct tpm2_rsp *r);
/* Copies n bytes to out (may be NULL to skip). Returns 0 or -1. */
int tpm2_get_bytes(struct tpm2_rsp *r, void *out, u32 n);
/* For TPM_ST_SESSIONS responses: skip the u32 parameterSize. */
u32 tpm2_get_param_size(struct tpm2_rsp *r);

/* ---- response decoders (rc must already be TPM_RC_SUCCESS) ---- */
/* GetRandom: copies randomBytes into out (up to cap), stores the size. */
int tpm2_parse_get_random(struct tpm2_rsp *r, u8 *out, u32 cap, u32 *n);
/* PCR_Read with one SHA-256 PCR selected: the digest. */
int tpm2_parse_pcr_read_sha256(struct tpm2_rsp *r, u8 out[TPM_SHA256_SIZE]);
/* GetCapability(TPM_PROPERTIES): the first property's tag and value. */
int tpm2_parse_get_capability_prop(struct tpm2_rsp *r, u32 *property, u32 *value);
/* NV_Read: copies the TPM2B_MAX_NV_BUFFER into out (up to cap), stores the size. */
int tpm2_parse_nv_read(struct tpm2_rsp *r, u8 *out, u32 cap, u32 *n);

/* Big-endian helpers for raw buffers. */
static inline u16 be16_get(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }
static inline u32 be32_get(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

#endif
