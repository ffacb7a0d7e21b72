/* io.h - port I/O and width-exact MMIO accessors.
 *
 * Every accessor is one x86 instruction of exactly the named width, written
 * as inline asm so the compiler can neither split, merge, widen nor elide the
 * access.  The "memory" clobber keeps accesses in program order relative to
 * ordinary memory operations (x86 does not reorder uncached MMIO itself).
 *
 * 64-bit MMIO:
 *   - on the 64-bit build, mmio_read64/mmio_write64 are one 8-byte movq;
 *   - on the 32-bit build there is no 8-byte integer move, so they are TWO
 *     4-byte accesses: the low dword at addr first, then the high dword at
 *     addr + 4 (little-endian register layout).  A device sees R4 addr,
 *     R4 addr+4 (or W4 addr, W4 addr+4), in that order.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include "types.h"

/* ---- port I/O ---- */
static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* ---- MMIO: addresses are physical == virtual (flat, paging off) ---- */
static inline u8 mmio_read8(uintptr_t addr)
{
	u8 v;
	__asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(addr) : "memory");
	return v;
}
static inline u16 mmio_read16(uintptr_t addr)
{
	u16 v;
	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
static inline u32 mmio_read32(uintptr_t addr)
{
	u32 v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
static inline void mmio_write8(uintptr_t addr, u8 v)
{
	__asm__ volatile("movb %0, (%1)" : : "q"(v), "r"(addr) : "memory");
}
static inline void mmio_write16(uintptr_t addr, u16 v)
{
	__asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}
static inline void mmio_write32(uintptr_t addr, u32 v)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

#if defined(__x86_64__)
static inline u64 mmio_read64(uintptr_t addr)
{
	u64 v;
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
static inline void mmio_write64(uintptr_t addr, u64 v)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}
#else
/* 32-bit build: low dword first, then high dword (see top of file). */
static inline u64 mmio_read64(uintptr_t addr)
{
	u32 lo = mmio_read32(addr);
	u32 hi = mmio_read32(addr + 4);
	return ((u64)hi << 32) | lo;
}
static inline void mmio_write64(uintptr_t addr, u64 v)
{
	mmio_write32(addr, (u32)v);
	mmio_write32(addr + 4, (u32)(v >> 32));
}
#endif

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif
