/* cmdline.h - KEY=VALUE lookup in the multiboot command line.
 *
 * The command line is a space-separated list of words.  QEMU's multiboot
 * loader prepends the kernel path ("guests/build/x.elf n=10"); other loaders
 * may pass only the arguments.  A key matches a word that starts with
 * "KEY=", so the kernel path never matches.
 */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include "types.h"

/* Returns a pointer to the value of KEY (not NUL-terminated; *len is its
 * length up to the next space or the end), or NULL if absent. */
const char *cmdline_find(const char *cmdline, const char *key, size_t *len);
/* Parses KEY=<decimal or 0x-hex u32>.  Returns 1 if found and valid
 * (*out set), 0 if absent, -1 if present but malformed or out of range. */
int cmdline_get_u32(const char *cmdline, const char *key, u32 *out);

#endif
