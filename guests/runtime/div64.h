/* div64.h - 64-by-32-bit unsigned division without libgcc.
 *
 * The 32-bit guests link without libgcc (no multilib on the build machine),
 * so a plain u64 '/' or '%' would leave __udivdi3/__umoddi3 unresolved.
 * udiv64_32() uses two x86 'divl' steps instead (high dword, then low dword
 * with the high remainder), which never overflows because each partial
 * quotient fits in 32 bits.  On the 64-bit build it is ordinary C.
 */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include "types.h"

/* Returns n / d and stores n % d in *rem (if rem is not NULL).  d != 0. */
static inline u64 udiv64_32(u64 n, u32 d, u32 *rem)
{
#if defined(__x86_64__)
	if (rem)
		*rem = (u32)(n % d);
	return n / d;
#else
	u32 hi = (u32)(n >> 32), lo = (u32)n;
	u32 qhi, qlo, r;

	qhi = hi / d;
	r = hi % d;
	/* edx:eax = r:lo, r < d so the quotient fits in 32 bits */
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((u64)qhi << 32) | qlo;
#endif
}

#endif
