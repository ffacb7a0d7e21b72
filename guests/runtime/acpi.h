/* acpi.h - find ACPI tables the way a PC OS does.
 *
 * RSDP: scanned for "RSD PTR " on 16-byte boundaries in 0xE0000-0xFFFFF,
 * accepted when the 20-byte ACPI 1.0 checksum is zero (and, for revision
 * >= 2, the extended checksum over 'length' bytes too).  Then the XSDT is
 * used when revision >= 2 and XsdtAddress != 0, otherwise the RSDT.
 * All addresses are below 4 GiB and the guest runs flat with paging off, so
 * a physical address is used directly as a pointer.  Tables are read with
 * ordinary memory loads (they live in RAM/ROM, not MMIO).
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include "types.h"

struct acpi_header {
	char sig[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __attribute__((packed));

/* TPM2 table (TCG ACPI spec): header + these fields; revision 4 appends
 * start-method parameters and the log area fields. */
struct acpi_tpm2 {
	struct acpi_header hdr;      /* sig "TPM2" */
	u16 platform_class;          /* 36 */
	u16 reserved;                /* 38 */
	u64 control_area;            /* 40: CRB control area (base + 0x40) */
	u32 start_method;            /* 48: 6 = FIFO/TIS, 7 = CRB */
} __attribute__((packed));

#define ACPI_TPM2_START_FIFO 6
#define ACPI_TPM2_START_CRB  7

struct acpi_rsdp_info {
	uintptr_t rsdp;      /* 0 if not found */
	u8 revision;
	int use_xsdt;
	uintptr_t root;      /* RSDT or XSDT address */
};

/* Locate the RSDP and root table.  Returns 0 on success, -1 if absent. */
int acpi_find_root(struct acpi_rsdp_info *out);
/* Find the first table with signature sig (4 chars) whose checksum is valid;
 * returns its address or NULL. */
const struct acpi_header *acpi_find_table(const char *sig);
/* Sum of n bytes mod 256 (0 for a valid table). */
u8 acpi_checksum(const void *p, u32 n);

#endif
