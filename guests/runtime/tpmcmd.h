/* tpmcmd.h - the TPM commands the driver guests send, with crb-linux's
 * result-line format, over whatever transport the guest implements.
 *
 * A guest fills a struct tpmcmd with its console prefix, its own buffers and
 * two callbacks:
 *
 *   transmit(cmd, len, rsp, cap, &rsp_len)
 *       sends one command the way the guest's driver does and stores the
 *       response (rsp_len bytes); returns 0, or a non-zero transport error
 *       (the guest's own code)
 *   transport_error(step, err)
 *       prints "<tag>ERROR <step>: ..." for that error and returns the exit
 *       status (normally 3)
 *
 * Each tpmcmd_* function builds its command into t->cmd, calls transmit,
 * checks the response header (tag, size == bytes received) and prints
 * exactly one line:
 *
 *   <tag>result startup rc=0x000 TPM_RC_SUCCESS
 *   <tag>result startup rc=0x100 TPM_RC_INITIALIZE (already started, accepted)
 *   <tag>result random 16 <32 lowercase hex digits>
 *   <tag>result pcr-reset 16 rc=0x000 TPM_RC_SUCCESS
 *   <tag>result pcr-extend 16 sha256=<the digest extended>
 *   <tag>result pcr-read 16 sha256=<the value read>
 *   <tag>result manufacturer 0x49424d00 "IBM"
 *   <tag>FAIL <step> rc=0x... NAME              (returns 1)
 *   <tag>ERROR <step>: malformed response ...    (returns 3)
 *
 * and returns 0 on success or the exit status (1 TPM error, 3 transport or
 * malformed response; transport_error's value for transport errors).
 * tpmcmd_pcr_read_check adds "<tag>FAIL pcr-read rc=... (value differs from
 * expected <64 hex>)" (returns 1) after its result line when the PCR is wrong.
 *
 * tpmcmd_linux_set() is the command set of crb-linux and tis-linux: Startup,
 * GetRandom(16), PCR_Reset(16), PCR_Extend(16, SHA-256("vmsim")),
 * PCR_Read(16) checked, GetCapability(MANUFACTURER), stopping at the first
 * failure.
 */
#ifndef GUEST_TPMCMD_H
#define GUEST_TPMCMD_H

#include "types.h"
#include "tpm2.h"

#define TPMCMD_EXIT_TPM_FAIL  1
#define TPMCMD_EXIT_TRANSPORT 3

struct tpmcmd {
	const char *tag;
	int (*transmit)(const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len);
	int (*transport_error)(const char *step, int err);
	u8 *cmd;
	u32 cmd_cap;
	u8 *rsp;
	u32 rsp_cap;
};

/* Initializer for a guest's struct tpmcmd over its static buffers (arrays:
 * their sizes are the capacities). */
#define TPMCMD_INIT(tag_, transmit_, transport_error_, cmd_buf_, rsp_buf_) {	\
	.tag = (tag_),							\
	.transmit = (transmit_),					\
	.transport_error = (transport_error_),				\
	.cmd = (cmd_buf_), .cmd_cap = sizeof(cmd_buf_),			\
	.rsp = (rsp_buf_), .rsp_cap = sizeof(rsp_buf_),			\
}

/* Sends t->cmd[0..len) and parses the response header into *r.  Returns 0,
 * or an exit status after printing the error (len 0 = the builder
 * overflowed: transport error). */
int tpmcmd_run(const struct tpmcmd *t, const char *step, u32 len, struct tpm2_rsp *r);

/* TPM2_Startup(CLEAR); TPM_RC_INITIALIZE (firmware already started the TPM)
 * is accepted. */
int tpmcmd_startup(const struct tpmcmd *t);
/* TPM2_GetRandom(n), n <= 64; the response must carry exactly n bytes. */
int tpmcmd_get_random(const struct tpmcmd *t, u16 n);
/* TPM2_GetCapability(TPM_PROPERTIES, TPM_PT_MANUFACTURER, 1). */
int tpmcmd_manufacturer(const struct tpmcmd *t);

/* The PCR the Linux command set resets, extends and reads. */
#define TPMCMD_TEST_PCR 16
/* SHA-256("vmsim") (5 ASCII bytes), the digest extended into the test PCR. */
extern const u8 tpmcmd_vmsim_digest[TPM_SHA256_SIZE];

/* TPM2_PCR_Reset(pcr), empty-password session. */
int tpmcmd_pcr_reset(const struct tpmcmd *t, u32 pcr);
/* TPM2_PCR_Extend(pcr) with tpmcmd_vmsim_digest. */
int tpmcmd_pcr_extend_vmsim(const struct tpmcmd *t, u32 pcr);
/* TPM2_PCR_Read(SHA-256, pcr); the value must be SHA-256(32 zero bytes ||
 * tpmcmd_vmsim_digest), i.e. one extend after a reset. */
int tpmcmd_pcr_read_check(const struct tpmcmd *t, u32 pcr);

/* The six commands of crb-linux/tis-linux (see above). */
int tpmcmd_linux_set(const struct tpmcmd *t);

/* The short set the firmware-style guests end with: Startup (TPM_RC_INITIALIZE
 * accepted), GetRandom(16), then "<tag>PASS". Returns 0, or the first failure's
 * exit status. */
int tpmcmd_startup_random_pass(const struct tpmcmd *t);

#endif
