/* hello64.c - smallest ELF64 guest: proves vmsim entered long mode. */
#include "runtime/guest.h"

int guest_main(const char *cmdline)
{
	(void)cmdline;
	console_puts("hello64: long mode ok\n");
	return 0;
}
