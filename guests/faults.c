/* faults.c - one deliberate machine stop per run, for vmsim's tests of its
 * stop reasons.
 *
 * Command line: mode=NAME (and code=N for mode=exit).  The guest prints
 * "faults: mode NAME" and then does exactly one thing:
 *
 *   mode=exit code=N  return N (exit value N through port 0xF4)
 *   mode=ud           ud2                         (#UD)
 *   mode=unmapped     4-byte read of physical 0xC0000000 (no RAM, no device)
 *   mode=halt         cli; hlt, no exit value written
 *   mode=spin         an endless pure CPU loop: no memory or I/O accesses
 *   mode=int3         int3                        (#BP)
 *   mode=divide       divl by a zero register     (#DE)
 *
 * The guest installs no IDT, so on QEMU the exceptions become a triple fault
 * (with -no-reboot QEMU exits).  If an exception or the unmapped read does
 * NOT stop the machine, the guest says so and returns 4.  A missing or
 * unknown mode, or a bad code=, prints a usage line and returns 3.
 */
#include "runtime/guest.h"

#define TAG "faults: "

#define EXIT_USAGE      3
#define EXIT_NOT_STOPPED 4

#define UNMAPPED_ADDR   0xC0000000u

static int word_is(const char *v, size_t len, const char *name)
{
	return len == strlen(name) && strncmp(v, name, len) == 0;
}

static int usage(void)
{
	printf(TAG "usage: mode=exit code=N | mode=ud | mode=unmapped | mode=halt | "
	       "mode=spin | mode=int3 | mode=divide\n");
	return EXIT_USAGE;
}

static int not_stopped(const char *mode)
{
	printf(TAG "mode %s did not stop the machine\n", mode);
	return EXIT_NOT_STOPPED;
}

int guest_main(const char *cmdline)
{
	size_t len;
	const char *mode = cmdline_find(cmdline, "mode", &len);

	if (!mode) {
		printf(TAG "no mode= in command line\n");
		return usage();
	}

	if (word_is(mode, len, "exit")) {
		u32 code;

		if (cmdline_get_u32(cmdline, "code", &code) != 1) {
			printf(TAG "mode exit needs code=N\n");
			return usage();
		}
		printf(TAG "mode exit\n");
		return (int)code;
	}

	if (word_is(mode, len, "ud")) {
		printf(TAG "mode ud\n");
		__asm__ volatile("ud2" : : : "memory");
		return not_stopped("ud");
	}

	if (word_is(mode, len, "unmapped")) {
		u32 v;

		printf(TAG "mode unmapped\n");
		v = mmio_read32(UNMAPPED_ADDR);
		printf(TAG "read of 0x%08x returned 0x%08x\n", UNMAPPED_ADDR, v);
		return not_stopped("unmapped");
	}

	if (word_is(mode, len, "halt")) {
		printf(TAG "mode halt\n");
		for (;;)
			__asm__ volatile("cli; hlt" : : : "memory");
	}

	if (word_is(mode, len, "spin")) {
		printf(TAG "mode spin\n");
		/* "jmp ." : no loads, stores or port I/O, nothing the compiler can
		 * remove or turn into a halt. */
		for (;;)
			__asm__ volatile("1: jmp 1b" : : : "memory");
	}

	if (word_is(mode, len, "int3")) {
		printf(TAG "mode int3\n");
		__asm__ volatile("int3" : : : "memory");
		return not_stopped("int3");
	}

	if (word_is(mode, len, "divide")) {
		u32 lo = 1, hi = 0, zero = 0;

		printf(TAG "mode divide\n");
		/* The divisor goes through an empty asm so its value is unknown to
		 * the compiler; the division itself is asm as well, so it can be
		 * neither folded nor removed. */
		__asm__ volatile("" : "+r"(zero));
		__asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero) : "cc", "memory");
		printf(TAG "divide returned %u\n", lo);
		return not_stopped("divide");
	}

	printf(TAG "unknown mode \"");
	console_write(mode, len);
	printf("\"\n");
	return usage();
}
