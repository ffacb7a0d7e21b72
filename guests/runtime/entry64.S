/* entry64.S - entry point of the 64-bit (ELF64) guests.
 *
 * vmsim enters the ELF entry point already in 64-bit long mode; no stack is
 * guaranteed.  _start clears .bss, points RSP at a stack in .bss and calls
 * runtime_start64(), which never returns.  No multiboot header: QEMU cannot
 * boot an ELF64 with -kernel, these guests are for vmsim only.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movabsq $__bss_start, %rdi
	movabsq $__bss_end, %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb

	movabsq $stack_top, %rsp         /* 16-byte aligned */
	xorl %ebp, %ebp
	call runtime_start64
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.section .bss
	.align 16
stack_bottom:
	.skip 16384
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
