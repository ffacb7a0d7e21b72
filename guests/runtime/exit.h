/* exit.h - guest exit status via port 0xF4.
 *
 * guest_exit(code) writes the low 8 bits of code to port 0xF4 with one outb:
 * vmsim's debug-exit device stops the machine with that status; QEMU's
 * isa-debug-exit (iobase=0xf4,iosize=1) exits with (code << 1) | 1.  If
 * nothing listens on 0xF4 the CPU is parked with interrupts off (cli; hlt).
 */
#ifndef GUEST_EXIT_H
#define GUEST_EXIT_H

#include "types.h"

#define EXIT_PORT 0xF4

void guest_exit(int code) NORETURN;

#endif
