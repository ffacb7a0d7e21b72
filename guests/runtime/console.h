/* console.h - guest console on I/O port 0xE9.
 *
 * Every byte is one 'outb' to port 0xE9: QEMU shows it with -debugcon stdio,
 * vmsim's debugcon device prints it.  No buffering, no newline translation.
 *
 * printf supports: %% %c %s %d %i %u %x %X %p, flags '-' and '0', a decimal
 * field width (or '*'), and the length modifiers
 *   l   long       (32 bits on the 32-bit build, 64 bits on the 64-bit build)
 *   ll  long long  (always 64 bits)
 *   z   size_t
 * e.g. %08x, %016llx, %lx.  %p prints "0x" and the pointer in hex, zero-padded
 * to the pointer width.  Use the exact C types: the format is checked by gcc.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include "types.h"

#define CONSOLE_PORT 0xE9

void console_putc(char c);
void console_write(const char *s, size_t n);
void console_puts(const char *s);           /* no newline appended */
int printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int vprintf(const char *fmt, va_list ap);
/* Lowercase hex dump of n bytes, no separators, no newline. */
void console_hex(const void *buf, size_t n);

#endif
