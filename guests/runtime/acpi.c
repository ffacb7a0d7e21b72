/* acpi.c - RSDP scan, RSDT/XSDT walk, table lookup by signature. */
#include "acpi.h"
#include "string.h"

#define RSDP_SCAN_START 0xE0000u
#define RSDP_SCAN_END   0x100000u

struct rsdp {
	char sig[8];        /* "RSD PTR " */
	u8 checksum;        /* over the first 20 bytes */
	char oem_id[6];
	u8 revision;        /* 0 = ACPI 1.0, 2 = ACPI 2.0+ */
	u32 rsdt;
	u32 length;         /* revision >= 2 */
	u64 xsdt;
	u8 ext_checksum;
	u8 reserved[3];
} __attribute__((packed));

u8 acpi_checksum(const void *p, u32 n)
{
	const u8 *b = p;
	u8 sum = 0;

	while (n--)
		sum = (u8)(sum + *b++);
	return sum;
}

static int rsdp_valid(const struct rsdp *r)
{
	if (memcmp(r->sig, "RSD PTR ", 8) != 0)
		return 0;
	if (acpi_checksum(r, 20) != 0)
		return 0;
	if (r->revision >= 2 && r->length >= sizeof(*r) && r->length < 0x1000 &&
	    acpi_checksum(r, r->length) != 0)
		return 0;
	return 1;
}

int acpi_find_root(struct acpi_rsdp_info *out)
{
	uintptr_t a;

	memset(out, 0, sizeof(*out));
	for (a = RSDP_SCAN_START; a + sizeof(struct rsdp) <= RSDP_SCAN_END; a += 16) {
		const struct rsdp *r = (const struct rsdp *)a;

		if (!rsdp_valid(r))
			continue;
		out->rsdp = a;
		out->revision = r->revision;
		if (r->revision >= 2 && r->xsdt != 0 && r->xsdt < 0x100000000ull) {
			out->use_xsdt = 1;
			out->root = (uintptr_t)r->xsdt;
		} else {
			out->use_xsdt = 0;
			out->root = r->rsdt;
		}
		return out->root ? 0 : -1;
	}
	return -1;
}

static int table_ok(const struct acpi_header *h, const char *sig)
{
	if (memcmp(h->sig, sig, 4) != 0)
		return 0;
	if (h->length < sizeof(*h))
		return 0;
	return acpi_checksum(h, h->length) == 0;
}

const struct acpi_header *acpi_find_table(const char *sig)
{
	struct acpi_rsdp_info info;
	const struct acpi_header *root;
	u32 entry_size, n, i;
	const u8 *entries;

	if (acpi_find_root(&info) != 0)
		return NULL;
	root = (const struct acpi_header *)info.root;
	if (!table_ok(root, info.use_xsdt ? "XSDT" : "RSDT"))
		return NULL;
	entry_size = info.use_xsdt ? 8 : 4;
	n = (root->length - sizeof(*root)) / entry_size;
	entries = (const u8 *)root + sizeof(*root);
	for (i = 0; i < n; i++) {
		u64 addr = 0;
		const struct acpi_header *h;

		memcpy(&addr, entries + i * entry_size, entry_size);
		if (addr == 0 || addr >= 0x100000000ull)
			continue;
		h = (const struct acpi_header *)(uintptr_t)addr;
		if (table_ok(h, sig))
			return h;
	}
	return NULL;
}
