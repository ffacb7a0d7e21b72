/* start64.c - C side of the 64-bit entry: no boot information, empty
 * command line. */
#include "guest.h"

u32 boot_magic;
const struct multiboot_info *boot_info;

void runtime_start64(void) NORETURN;

void runtime_start64(void)
{
	guest_exit(guest_main(""));
}
