/* entry.S - Multiboot v1 header and 32-bit entry point.
 *
 * The loader (QEMU -kernel, or vmsim) enters _start in 32-bit protected mode,
 * flat segments, paging off, interrupts off, EAX = 0x2BADB002, EBX = physical
 * address of the multiboot information.  There is no usable stack yet.
 * _start clears .bss (the stack lives there, so this happens before any
 * push), loads ESP, and calls runtime_start(magic, info), which never
 * returns.  Segment registers and the GDT are left as the loader set them.
 */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002              /* bit 1: memory information */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl %eax, %esi                  /* multiboot magic */
	movl %ebx, %ebp                  /* multiboot info */

	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $stack_top, %esp
	xorl %eax, %eax
	pushl %eax                       /* keep ESP 16-byte aligned at the call */
	pushl %eax
	pushl %ebp
	pushl %esi
	call runtime_start
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.section .bss
	.align 16
	.globl stack_bottom
stack_bottom:
	.skip 16384
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
