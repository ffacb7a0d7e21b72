/* multiboot.h - the parts of the Multiboot v1 specification the guests use. */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include "types.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u   /* in the image header */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u   /* in EAX at entry */

/* header flags (entry.S) */
#define MULTIBOOT_HDR_PAGE_ALIGN   (1u << 0)
#define MULTIBOOT_HDR_MEMORY_INFO  (1u << 1)

/* info flags */
#define MULTIBOOT_INFO_MEMORY      (1u << 0)
#define MULTIBOOT_INFO_CMDLINE     (1u << 2)
#define MULTIBOOT_INFO_MMAP        (1u << 6)

struct multiboot_info {
	u32 flags;
	u32 mem_lower;       /* KiB, flags bit 0 */
	u32 mem_upper;
	u32 boot_device;     /* bit 1 */
	u32 cmdline;         /* bit 2: physical address of a NUL-terminated string */
	u32 mods_count;      /* bit 3 */
	u32 mods_addr;
	u32 syms[4];         /* bits 4/5 */
	u32 mmap_length;     /* bit 6 */
	u32 mmap_addr;
} __attribute__((packed));

#endif
