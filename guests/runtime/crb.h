/* crb.h - TPM 2.0 CRB (Command Response Buffer) transport.
 *
 * The access sequence follows Linux drivers/char/tpm/tpm_crb.c (facts in
 * shared/reference/driver-probes.md).  Every register access is a 4-byte
 * MMIO access except RSP_ADDR, which is read with mmio_read64 (on the 32-bit
 * build: R4 0x68 then R4 0x6C).  Offsets are relative to the locality page
 * (base = ACPI TPM2 control area - 0x40).
 *
 *   request locality  W4 LOC_CTRL=1; poll R4 LOC_STATE until (v & 0x82) == 0x82 (200 ms)
 *   cmd_ready         W4 CTRL_REQ=1; poll R4 CTRL_REQ until b0 == 0            (200 ms)
 *   buffer setup      R4 CMD_HADDR, R4 CMD_LADDR, R4 CMD_SIZE, R8 RSP_ADDR, R4 RSP_SIZE
 *   send              W4 CTRL_CANCEL=0; len > CMD_SIZE -> error; copy the command to
 *                     the command buffer (W4 where 4-byte aligned, W1 for the tail);
 *                     W4 CTRL_START=1
 *   completion        poll R4 CTRL_START until b0 == 0 (2000 ms, or crb.timeout_cmd_ms)
 *   cancel            only when that poll times out: W4 CTRL_CANCEL=1; poll R4
 *                     CTRL_START until b0 == 0 (2000 ms more).  Still set ->
 *                     CRB_E_TIMEOUT (CANCEL left at 1; the next send writes 0).
 *                     Cleared -> recv as below (the TPM answers TPM_RC_CANCELED,
 *                     or the real response if the command finished anyway),
 *                     then W4 CTRL_CANCEL=0; crb_exchange() returns
 *                     CRB_E_CANCELLED with the response in the caller's buffer
 *                     (or the recv error, if recv failed)
 *   recv              R4 CTRL_STS: b0 (tpmSts) -> error; read the 10-byte header
 *                     (R4 +0, R4 +4, R1 +8, R1 +9); 10 <= length <= RSP_SIZE and
 *                     <= caller buffer, else error; copy the rest (R1 up to 4-byte
 *                     alignment, R4, R1 for the tail)
 *   go_idle           W4 CTRL_REQ=2; poll R4 CTRL_REQ until b1 == 0            (200 ms)
 *   relinquish        W4 LOC_CTRL=2; poll R4 LOC_STATE until (v & 0x82) == 0x80 (200 ms)
 *
 * crb_transmit() frames one command like Linux: request locality + cmd_ready,
 * send, completion, recv, then go_idle + relinquish (also after a failure).
 */
#ifndef GUEST_CRB_H
#define GUEST_CRB_H

#include "types.h"

#define CRB_DEFAULT_BASE 0xFED40000u

/* register offsets */
#define CRB_LOC_STATE   0x00
#define CRB_LOC_CTRL    0x08
#define CRB_LOC_STS     0x0C
#define CRB_INTF_ID     0x30
#define CRB_CTRL_EXT    0x38
#define CRB_CTRL_REQ    0x40
#define CRB_CTRL_STS    0x44
#define CRB_CTRL_CANCEL 0x48
#define CRB_CTRL_START  0x4C
#define CRB_INT_ENABLE  0x50
#define CRB_INT_STS     0x54
#define CRB_CMD_SIZE    0x58
#define CRB_CMD_LADDR   0x5C
#define CRB_CMD_HADDR   0x60
#define CRB_RSP_SIZE    0x64
#define CRB_RSP_ADDR    0x68
#define CRB_DATA_BUFFER 0x80

/* register bits / values */
#define CRB_LOC_STATE_ESTABLISHED 0x01
#define CRB_LOC_STATE_ASSIGNED    0x02
#define CRB_LOC_STATE_VALID       0x80
#define CRB_LOC_CTRL_REQUEST      0x01
#define CRB_LOC_CTRL_RELINQUISH   0x02
#define CRB_CTRL_REQ_CMD_READY    0x01
#define CRB_CTRL_REQ_GO_IDLE      0x02
#define CRB_CTRL_STS_ERROR        0x01
#define CRB_CTRL_STS_IDLE         0x02
#define CRB_START_INVOKE          0x01
#define CRB_CANCEL_INVOKE         0x01

/* timeouts (ms) */
#define CRB_TIMEOUT_C_MS     200     /* locality, cmd_ready, go_idle (TPM2 timeout C) */
#define CRB_TIMEOUT_CMD_MS   2000    /* command completion */
#define CRB_TIMEOUT_CANCEL_MS 2000   /* START clearing after CTRL_CANCEL=1 */

/* errors (negative) */
enum crb_error {
	CRB_OK = 0,
	CRB_E_LOCALITY = -1,     /* LOC_STATE never showed valid+assigned */
	CRB_E_CMD_READY = -2,    /* CTRL_REQ.cmdReady never cleared */
	CRB_E_BUFFERS = -3,      /* buffer registers unusable */
	CRB_E_TOO_BIG = -4,      /* command longer than CMD_SIZE */
	CRB_E_TIMEOUT = -5,      /* CTRL_START never cleared, not even after CTRL_CANCEL=1 */
	CRB_E_TPMSTS = -6,       /* CTRL_STS.tpmSts set after completion */
	CRB_E_RSP_LEN = -7,      /* response length outside 10..RSP_SIZE or caller buffer */
	CRB_E_GO_IDLE = -8,      /* CTRL_REQ.goIdle never cleared */
	CRB_E_RELINQUISH = -9,   /* LOC_STATE still assigned after relinquish */
	CRB_E_CANCELLED = -10,   /* completion timed out, CTRL_CANCEL=1 written, START
				  * then cleared: the response was read (*rsp_len set) */
};

struct crb {
	uintptr_t base;      /* locality-0 register page */
	/* from buffer setup */
	u32 cmd_haddr, cmd_laddr, cmd_size, rsp_size;
	u64 rsp_addr;
	uintptr_t cmd, rsp;  /* usable buffer addresses */
	/* last value seen by a poll (or the offending value) for error reports */
	u32 err_reg;         /* register offset, or ~0 when not a register */
	u32 err_val;
	u32 loc_state;       /* LOC_STATE value that satisfied the last locality poll */
	u32 timeout_cmd_ms;  /* completion poll of crb_exchange (crb_init: 2000; 0 = 2000) */
};

void crb_init(struct crb *c, uintptr_t base);
const char *crb_strerror(int err);
/* Name of a register an error report points at (err_reg), NULL if none. */
const char *crb_reg_name(u32 off);

static inline uintptr_t crb_reg(const struct crb *c, u32 off) { return c->base + off; }
u32 crb_read32(const struct crb *c, u32 off);
void crb_write32(const struct crb *c, u32 off, u32 v);

int crb_request_locality(struct crb *c);
int crb_cmd_ready(struct crb *c);
int crb_setup_buffers(struct crb *c);
int crb_send(struct crb *c, const u8 *cmd, u32 len);
/* 0 when START cleared within timeout_ms; otherwise the cancel path above:
 * CRB_E_CANCELLED (START cleared after CTRL_CANCEL=1; the caller must read the
 * response and write CTRL_CANCEL=0, as crb_exchange does) or CRB_E_TIMEOUT. */
int crb_wait_complete(struct crb *c, u32 timeout_ms);
int crb_recv(struct crb *c, u8 *buf, u32 cap, u32 *len);
int crb_go_idle(struct crb *c);
int crb_relinquish(struct crb *c);

/* send + completion + recv, no locality/idle framing.  On CRB_E_CANCELLED the
 * response is in rsp (rsp_len bytes) and CTRL_CANCEL has been written back to 0. */
int crb_exchange(struct crb *c, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len);
/* One command framed like Linux (see top of file). */
int crb_transmit(struct crb *c, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len);

/* Copy between RAM and an MMIO buffer: 4-byte accesses where the MMIO
 * address is 4-byte aligned and >= 4 bytes remain, 1-byte accesses otherwise. */
void crb_copy_to_mmio(uintptr_t dst, const u8 *src, u32 n);
void crb_copy_from_mmio(u8 *dst, uintptr_t src, u32 n);

#endif
