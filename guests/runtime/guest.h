/* guest.h - what every guest program includes.
 *
 * A guest defines  int guest_main(const char *cmdline);
 * The runtime (entry.S + start.c) calls it with the multiboot command line
 * ("" if the loader passed none) and exits with its return value through
 * guest_exit() (port 0xF4).
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include "types.h"
#include "io.h"
#include "console.h"
#include "exit.h"
#include "string.h"
#include "cmdline.h"
#include "multiboot.h"

int guest_main(const char *cmdline);

/* Boot information saved by start.c (valid when boot_magic is the multiboot
 * bootloader magic). */
extern u32 boot_magic;
extern const struct multiboot_info *boot_info;

#endif
