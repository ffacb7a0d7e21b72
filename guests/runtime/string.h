/* string.h (guest runtime) - the few memory/string helpers the guests need.
 * gcc may emit calls to memcpy/memset/memmove/memcmp even in freestanding
 * code (struct copies, large initialisers), so these exact names exist.
 */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif
