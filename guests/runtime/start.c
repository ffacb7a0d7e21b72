/* start.c - C side of the 32-bit entry: read the multiboot information,
 * find the command line, run guest_main(), exit with its status. */
#include "guest.h"
#include "multiboot.h"

u32 boot_magic;
const struct multiboot_info *boot_info;

void runtime_start(u32 magic, const struct multiboot_info *mbi) NORETURN;

void runtime_start(u32 magic, const struct multiboot_info *mbi)
{
	const char *cmdline = "";

	boot_magic = magic;
	if (magic == MULTIBOOT_BOOTLOADER_MAGIC && mbi) {
		boot_info = mbi;
		if ((mbi->flags & MULTIBOOT_INFO_CMDLINE) && mbi->cmdline)
			cmdline = (const char *)(uintptr_t)mbi->cmdline;
	}
	guest_exit(guest_main(cmdline));
}
