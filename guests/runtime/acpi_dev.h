/* acpi_dev.h - find a device in the DSDT the cheap way, without an AML
 * interpreter.
 *
 * The DSDT is reached through the FADT ("FACP"): X_DSDT (offset 140) when
 * the FADT is long enough and it is non-zero and below 4 GiB, else the
 * 32-bit DSDT field (offset 40); signature and checksum are checked.
 *
 * acpi_dsdt_find_hid() searches the DSDT's AML for the string object of a
 * _HID / _CID value, i.e. the bytes 0x0D (StringPrefix), the id, 0x00.  An
 * OS matches the device by evaluating _HID in its namespace; a byte search
 * finds the same device in every table vmsim and QEMU build, but it does not
 * evaluate _STA or methods.  The device's memory window is then taken from
 * the first Memory32Fixed descriptor (0x86 0x09 0x00 info base32 len32)
 * found in the next ACPI_DEV_CRS_SCAN bytes after the id string, which is
 * where the device's Name(_CRS, ResourceTemplate(){...}) sits in those
 * tables.
 */
#ifndef GUEST_ACPI_DEV_H
#define GUEST_ACPI_DEV_H

#include "types.h"
#include "acpi.h"

#define ACPI_DEV_CRS_SCAN 512

struct acpi_dev {
	const struct acpi_header *dsdt;  /* the DSDT searched */
	u32 hid_offset;                  /* offset of the id string in the DSDT */
	int has_mem;                     /* a Memory32Fixed descriptor was found */
	u32 mem_base;
	u32 mem_len;
};

/* The DSDT, or NULL (no FADT, no DSDT address, bad signature/checksum). */
const struct acpi_header *acpi_find_dsdt(void);

/* Returns 0 and fills *dev when the id string occurs in the DSDT; -1 when
 * there is no DSDT or no such string. */
int acpi_dsdt_find_hid(const char *hid, struct acpi_dev *dev);

#endif
