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
 *   <tag>result manufacturer 0x49424d00 "IBM"
 *   <tag>FAIL <step> rc=0x... NAME              (returns 1)
 *   <tag>ERROR <step>: malformed response ...    (returns 3)
 *
 * and returns 0 on success or the exit status (1 TPM error, 3 transport or
 * malformed response; transport_error's value for transport errors).
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

#endif
