/* types.h - fixed-width integer types for the freestanding guests.
 *
 * No libc headers are used anywhere in guests/.  The widths come from the
 * compiler's predefined macros so the same header works for -m32 and -m64.
 */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

#include <stddef.h>   /* size_t, NULL, offsetof (gcc freestanding header) */

typedef unsigned char      u8;
typedef unsigned short     u16;
typedef unsigned int       u32;
typedef unsigned long long u64;
typedef signed char        s8;
typedef short              s16;
typedef int                s32;
typedef long long          s64;

typedef __UINTPTR_TYPE__   uintptr_t;
typedef __INTPTR_TYPE__    intptr_t;

_Static_assert(sizeof(u8) == 1, "u8");
_Static_assert(sizeof(u16) == 2, "u16");
_Static_assert(sizeof(u32) == 4, "u32");
_Static_assert(sizeof(u64) == 8, "u64");
_Static_assert(sizeof(uintptr_t) == sizeof(void *), "uintptr_t");

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

#endif
