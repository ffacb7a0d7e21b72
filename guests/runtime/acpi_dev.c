/* acpi_dev.c - DSDT through the FADT, device id search, Memory32Fixed. */
#include "acpi_dev.h"
#include "string.h"

#define FADT_DSDT_OFF    40   /* u32 DSDT */
#define FADT_X_DSDT_OFF  140  /* u64 X_DSDT (ACPI 2.0+) */

static const struct acpi_header *dsdt_at(u64 addr)
{
	const struct acpi_header *h;

	if (addr == 0 || addr >= 0x100000000ull)
		return NULL;
	h = (const struct acpi_header *)(uintptr_t)addr;
	if (memcmp(h->sig, "DSDT", 4) != 0 || h->length < sizeof(*h))
		return NULL;
	if (acpi_checksum(h, h->length) != 0)
		return NULL;
	return h;
}

const struct acpi_header *acpi_find_dsdt(void)
{
	const struct acpi_header *fadt = acpi_find_table("FACP");
	const struct acpi_header *h = NULL;
	u64 x = 0;
	u32 d = 0;

	if (!fadt)
		return NULL;
	if (fadt->length >= FADT_X_DSDT_OFF + 8) {
		memcpy(&x, (const u8 *)fadt + FADT_X_DSDT_OFF, 8);
		h = dsdt_at(x);
	}
	if (!h && fadt->length >= FADT_DSDT_OFF + 4) {
		memcpy(&d, (const u8 *)fadt + FADT_DSDT_OFF, 4);
		h = dsdt_at(d);
	}
	return h;
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

int acpi_dsdt_find_hid(const char *hid, struct acpi_dev *dev)
{
	const struct acpi_header *dsdt = acpi_find_dsdt();
	u32 n = (u32)strlen(hid), len, i, j, end;
	const u8 *aml;

	memset(dev, 0, sizeof(*dev));
	if (!dsdt)
		return -1;
	aml = (const u8 *)dsdt;
	len = dsdt->length;
	for (i = sizeof(*dsdt); i + n + 2 <= len; i++) {
		if (aml[i] != 0x0D || memcmp(aml + i + 1, hid, n) != 0 || aml[i + 1 + n] != 0)
			continue;
		dev->dsdt = dsdt;
		dev->hid_offset = i;
		end = i + ACPI_DEV_CRS_SCAN < len ? i + ACPI_DEV_CRS_SCAN : len;
		for (j = i + n + 2; j + 12 <= end; j++) {
			if (aml[j] == 0x86 && aml[j + 1] == 0x09 && aml[j + 2] == 0x00) {
				dev->has_mem = 1;
				dev->mem_base = get_le32(aml + j + 4);
				dev->mem_len = get_le32(aml + j + 8);
				break;
			}
		}
		return 0;
	}
	return -1;
}
