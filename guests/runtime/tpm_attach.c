/* tpm_attach.c - TPM2 table discovery and CRB attach (see tpm_attach.h). */
#include "tpm_attach.h"
#include "acpi.h"
#include "console.h"

#define EXIT_NO_TPM    2
#define EXIT_TRANSPORT 3

int tpm_find_tpm2(const char *tag, u32 start_method, uintptr_t *crb_base)
{
	const struct acpi_tpm2 *t = (const struct acpi_tpm2 *)acpi_find_table("TPM2");

	if (!t || t->hdr.length < sizeof(*t)) {
		printf("%sno TPM2 table\n", tag);
		return EXIT_NO_TPM;
	}
	if (t->start_method != start_method) {
		printf("%sTPM2 start method %u is not %s\n", tag, t->start_method,
		       start_method == ACPI_TPM2_START_CRB ? "CRB" : "FIFO");
		return EXIT_NO_TPM;
	}
	if (start_method != ACPI_TPM2_START_CRB)
		return 0;
	if (t->control_area < 0x40 || t->control_area >= 0x100000000ull) {
		printf("%sERROR TPM2 control area 0x%016llx unusable\n", tag, t->control_area);
		return EXIT_TRANSPORT;
	}
	*crb_base = (uintptr_t)(t->control_area - 0x40);
	return 0;
}

int crb_map_io(struct crb *c, uintptr_t base, const char *tag,
	       int (*error)(const char *step, int err))
{
	u32 loc_sts, ctrl_sts;
	int err, err2;

	crb_init(c, base);
	err = crb_request_locality(c);
	if (err)
		return error("request locality", err);
	err = crb_cmd_ready(c);
	if (err) {
		error("cmd_ready", err);
		(void)crb_relinquish(c);
		return EXIT_TRANSPORT;
	}
	/* extra reads for visibility (Linux does not make them) */
	loc_sts = crb_read32(c, CRB_LOC_STS);
	ctrl_sts = crb_read32(c, CRB_CTRL_STS);
	err = crb_setup_buffers(c);

	printf("%sreg LOC_STATE 0x%08x\n", tag, c->loc_state);
	printf("%sreg LOC_STS 0x%08x\n", tag, loc_sts);
	printf("%sreg CTRL_STS 0x%08x\n", tag, ctrl_sts);
	printf("%sreg CMD_HADDR 0x%08x\n", tag, c->cmd_haddr);
	printf("%sreg CMD_LADDR 0x%08x\n", tag, c->cmd_laddr);
	printf("%sreg CMD_SIZE 0x%08x\n", tag, c->cmd_size);
	printf("%sreg RSP_ADDR 0x%016llx\n", tag, c->rsp_addr);
	printf("%sreg RSP_SIZE 0x%08x\n", tag, c->rsp_size);

	if (err) {
		error("buffer setup", err);
		(void)crb_go_idle(c);
		(void)crb_relinquish(c);
		return EXIT_TRANSPORT;
	}
	err = crb_go_idle(c);
	err2 = crb_relinquish(c);
	if (err)
		return error("go_idle", err);
	if (err2)
		return error("relinquish", err2);
	return 0;
}
