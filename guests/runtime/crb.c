/* crb.c - CRB transport, access sequence of Linux tpm_crb. */
#include "crb.h"
#include "io.h"
#include "time.h"
#include "tpm2.h"

#define NO_REG 0xFFFFFFFFu

void crb_init(struct crb *c, uintptr_t base)
{
	c->base = base;
	c->cmd_haddr = c->cmd_laddr = c->cmd_size = c->rsp_size = 0;
	c->rsp_addr = 0;
	c->cmd = c->rsp = 0;
	c->err_reg = NO_REG;
	c->err_val = 0;
	c->loc_state = 0;
	c->timeout_cmd_ms = CRB_TIMEOUT_CMD_MS;
}

const char *crb_strerror(int err)
{
	switch (err) {
	case CRB_OK: return "ok";
	case CRB_E_LOCALITY: return "locality request timed out";
	case CRB_E_CMD_READY: return "cmdReady timed out";
	case CRB_E_BUFFERS: return "unusable command/response buffer registers";
	case CRB_E_TOO_BIG: return "command larger than CMD_SIZE";
	case CRB_E_TIMEOUT: return "command timed out (cancel requested, START stuck)";
	case CRB_E_TPMSTS: return "tpmSts set in CTRL_STS";
	case CRB_E_RSP_LEN: return "bad response length";
	case CRB_E_GO_IDLE: return "goIdle timed out";
	case CRB_E_RELINQUISH: return "relinquish timed out";
	case CRB_E_CANCELLED: return "command timed out (cancelled, response read)";
	}
	return "unknown CRB error";
}

u32 crb_read32(const struct crb *c, u32 off)
{
	return mmio_read32(crb_reg(c, off));
}

void crb_write32(const struct crb *c, u32 off, u32 v)
{
	mmio_write32(crb_reg(c, off), v);
}

const char *crb_reg_name(u32 off)
{
	switch (off) {
	case CRB_LOC_STATE: return "LOC_STATE";
	case CRB_LOC_STS: return "LOC_STS";
	case CRB_CTRL_REQ: return "CTRL_REQ";
	case CRB_CTRL_STS: return "CTRL_STS";
	case CRB_CTRL_CANCEL: return "CTRL_CANCEL";
	case CRB_CTRL_START: return "CTRL_START";
	case CRB_CMD_SIZE: return "CMD_SIZE";
	case CRB_CMD_LADDR: return "CMD_LADDR";
	case CRB_CMD_HADDR: return "CMD_HADDR";
	case CRB_RSP_SIZE: return "RSP_SIZE";
	case CRB_RSP_ADDR: return "RSP_ADDR";
	}
	return NULL;
}

static int fail(struct crb *c, int err, u32 reg, u32 val)
{
	c->err_reg = reg;
	c->err_val = val;
	return err;
}

static int poll_reg(struct crb *c, u32 off, u32 mask, u32 value, u32 timeout_ms, u32 *last)
{
	return poll32_v(crb_reg(c, off), mask, value, timeout_ms, last);
}

int crb_request_locality(struct crb *c)
{
	u32 v;

	crb_write32(c, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST);
	if (poll_reg(c, CRB_LOC_STATE, CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED,
		     CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED, CRB_TIMEOUT_C_MS, &v))
		return fail(c, CRB_E_LOCALITY, CRB_LOC_STATE, v);
	c->loc_state = v;
	return CRB_OK;
}

int crb_cmd_ready(struct crb *c)
{
	u32 v;

	crb_write32(c, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
	if (poll_reg(c, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY, 0, CRB_TIMEOUT_C_MS, &v))
		return fail(c, CRB_E_CMD_READY, CRB_CTRL_REQ, v);
	return CRB_OK;
}

int crb_go_idle(struct crb *c)
{
	u32 v;

	crb_write32(c, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE);
	if (poll_reg(c, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE, 0, CRB_TIMEOUT_C_MS, &v))
		return fail(c, CRB_E_GO_IDLE, CRB_CTRL_REQ, v);
	return CRB_OK;
}

int crb_relinquish(struct crb *c)
{
	u32 v;

	crb_write32(c, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	if (poll_reg(c, CRB_LOC_STATE, CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED,
		     CRB_LOC_STATE_VALID, CRB_TIMEOUT_C_MS, &v))
		return fail(c, CRB_E_RELINQUISH, CRB_LOC_STATE, v);
	return CRB_OK;
}

int crb_setup_buffers(struct crb *c)
{
	u64 cmd_pa;

	/* Linux order: CMD_HADDR, CMD_LADDR, CMD_SIZE, RSP_ADDR (8 bytes), RSP_SIZE */
	c->cmd_haddr = crb_read32(c, CRB_CMD_HADDR);
	c->cmd_laddr = crb_read32(c, CRB_CMD_LADDR);
	c->cmd_size = crb_read32(c, CRB_CMD_SIZE);
	c->rsp_addr = mmio_read64(crb_reg(c, CRB_RSP_ADDR));
	c->rsp_size = crb_read32(c, CRB_RSP_SIZE);

	cmd_pa = ((u64)c->cmd_haddr << 32) | c->cmd_laddr;
	/* flat 32-bit guest: both buffers must lie below 4 GiB */
	if (c->cmd_haddr != 0 || cmd_pa == 0)
		return fail(c, CRB_E_BUFFERS, CRB_CMD_LADDR, c->cmd_laddr);
	if (c->rsp_addr == 0 || c->rsp_addr >= 0x100000000ull)
		return fail(c, CRB_E_BUFFERS, CRB_RSP_ADDR, (u32)c->rsp_addr);
	if (c->cmd_size < TPM2_HEADER_SIZE || cmd_pa + c->cmd_size > 0x100000000ull)
		return fail(c, CRB_E_BUFFERS, CRB_CMD_SIZE, c->cmd_size);
	if (c->rsp_size < TPM2_HEADER_SIZE || c->rsp_addr + c->rsp_size > 0x100000000ull)
		return fail(c, CRB_E_BUFFERS, CRB_RSP_SIZE, c->rsp_size);
	/* PTP: overlapping command and response buffers must have equal sizes */
	if (cmd_pa == c->rsp_addr && c->cmd_size != c->rsp_size)
		return fail(c, CRB_E_BUFFERS, CRB_RSP_SIZE, c->rsp_size);
	c->cmd = (uintptr_t)cmd_pa;
	c->rsp = (uintptr_t)c->rsp_addr;
	return CRB_OK;
}

void crb_copy_to_mmio(uintptr_t dst, const u8 *src, u32 n)
{
	while (n) {
		if ((dst & 3) == 0 && n >= 4) {
			u32 w = (u32)src[0] | ((u32)src[1] << 8) |
				((u32)src[2] << 16) | ((u32)src[3] << 24);
			mmio_write32(dst, w);
			dst += 4;
			src += 4;
			n -= 4;
		} else {
			mmio_write8(dst++, *src++);
			n--;
		}
	}
}

void crb_copy_from_mmio(u8 *dst, uintptr_t src, u32 n)
{
	while (n) {
		if ((src & 3) == 0 && n >= 4) {
			u32 w = mmio_read32(src);
			dst[0] = (u8)w;
			dst[1] = (u8)(w >> 8);
			dst[2] = (u8)(w >> 16);
			dst[3] = (u8)(w >> 24);
			dst += 4;
			src += 4;
			n -= 4;
		} else {
			*dst++ = mmio_read8(src++);
			n--;
		}
	}
}

int crb_send(struct crb *c, const u8 *cmd, u32 len)
{
	crb_write32(c, CRB_CTRL_CANCEL, 0);
	if (len > c->cmd_size)
		return fail(c, CRB_E_TOO_BIG, NO_REG, len);
	crb_copy_to_mmio(c->cmd, cmd, len);
	crb_write32(c, CRB_CTRL_START, CRB_START_INVOKE);
	return CRB_OK;
}

int crb_wait_complete(struct crb *c, u32 timeout_ms)
{
	u32 v;

	if (!poll_reg(c, CRB_CTRL_START, CRB_START_INVOKE, 0, timeout_ms, &v))
		return CRB_OK;
	/* Linux crb_cancel(): request cancellation; then wait for the TPM to
	 * finish the command (START cleared), cancelled or not. */
	crb_write32(c, CRB_CTRL_CANCEL, CRB_CANCEL_INVOKE);
	if (poll_reg(c, CRB_CTRL_START, CRB_START_INVOKE, 0, CRB_TIMEOUT_CANCEL_MS, &v))
		return fail(c, CRB_E_TIMEOUT, CRB_CTRL_START, v);
	return fail(c, CRB_E_CANCELLED, CRB_CTRL_START, v);
}

int crb_recv(struct crb *c, u8 *buf, u32 cap, u32 *len)
{
	u32 sts, size;

	*len = 0;
	sts = crb_read32(c, CRB_CTRL_STS);
	if (sts & CRB_CTRL_STS_ERROR)
		return fail(c, CRB_E_TPMSTS, CRB_CTRL_STS, sts);
	if (cap < TPM2_HEADER_SIZE)
		return fail(c, CRB_E_RSP_LEN, NO_REG, cap);
	crb_copy_from_mmio(buf, c->rsp, TPM2_HEADER_SIZE);
	size = be32_get(buf + 2);
	if (size < TPM2_HEADER_SIZE || size > c->rsp_size || size > cap)
		return fail(c, CRB_E_RSP_LEN, NO_REG, size);
	crb_copy_from_mmio(buf + TPM2_HEADER_SIZE, c->rsp + TPM2_HEADER_SIZE,
			   size - TPM2_HEADER_SIZE);
	*len = size;
	return CRB_OK;
}

int crb_exchange(struct crb *c, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	int err;

	*rsp_len = 0;
	err = crb_send(c, cmd, len);
	if (!err)
		err = crb_wait_complete(c, c->timeout_cmd_ms ? c->timeout_cmd_ms : CRB_TIMEOUT_CMD_MS);
	if (err == CRB_E_CANCELLED) {
		/* START cleared after the cancel request: read what the TPM
		 * answered, then clear the request (PTP: software writes 0 once
		 * the TPM has cleared START). */
		err = crb_recv(c, rsp, cap, rsp_len);
		crb_write32(c, CRB_CTRL_CANCEL, 0);
		return err ? err : CRB_E_CANCELLED;   /* err_reg/val: CTRL_START */
	}
	if (!err)
		err = crb_recv(c, rsp, cap, rsp_len);
	return err;
}

int crb_transmit(struct crb *c, const u8 *cmd, u32 len, u8 *rsp, u32 cap, u32 *rsp_len)
{
	int err, err2;
	u32 reg, val;

	*rsp_len = 0;
	err = crb_request_locality(c);
	if (err)
		return err;
	err = crb_cmd_ready(c);
	if (err) {
		/* like tpm_chip_start(): give the locality back, no goIdle */
		reg = c->err_reg;
		val = c->err_val;
		(void)crb_relinquish(c);
		c->err_reg = reg;
		c->err_val = val;
		return err;
	}
	err = crb_exchange(c, cmd, len, rsp, cap, rsp_len);
	/* like tpm_chip_stop(): always go idle and give the locality back,
	 * reporting the first error */
	reg = c->err_reg;
	val = c->err_val;
	err2 = crb_go_idle(c);
	if (!err2)
		err2 = crb_relinquish(c);
	else
		(void)crb_relinquish(c);
	if (err) {
		c->err_reg = reg;
		c->err_val = val;
		return err;
	}
	return err2;
}
