/* tpm_attach.h - how the Linux-style guests find and attach the TPM, with
 * their console lines (crb-linux, crb-script, bench-getrandom, tis-linux).
 *
 * tpm_find_tpm2(tag, method, &base): the ACPI TPM2 table (at least the 52
 * bytes up to the start method) must exist and name start method `method`
 * (ACPI_TPM2_START_CRB or ACPI_TPM2_START_FIFO).  Prints and returns:
 *
 *   <tag>no TPM2 table                                        2
 *   <tag>TPM2 start method N is not CRB|FIFO                  2
 *   <tag>ERROR TPM2 control area 0x<16 hex> unusable          3  (CRB only)
 *
 * or returns 0.  For CRB *crb_base is set to control area - 0x40 (the area
 * must be >= 0x40 and below 4 GiB); for FIFO the control area is 0 and
 * crb_base may be NULL.  Reads ACPI memory only, no device access.
 *
 * crb_map_io(c, base, tag, error): Linux crb_map_io() - crb_init, request
 * locality, cmd_ready, R4 LOC_STS and R4 CTRL_STS (extra reads for
 * visibility), the buffer registers, go_idle, relinquish - printing the
 * eight "<tag>reg NAME 0x..." lines in read order.  A failure prints through
 * error(step, err) (steps "request locality", "cmd_ready", "buffer setup",
 * "go_idle", "relinquish"), runs the same clean-up as Linux and returns 3.
 */
#ifndef GUEST_TPM_ATTACH_H
#define GUEST_TPM_ATTACH_H

#include "types.h"
#include "crb.h"

int tpm_find_tpm2(const char *tag, u32 start_method, uintptr_t *crb_base);
int crb_map_io(struct crb *c, uintptr_t base, const char *tag,
	       int (*error)(const char *step, int err));

#endif
