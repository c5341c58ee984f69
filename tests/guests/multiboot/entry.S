/* SPDX-License-Identifier: GPL-2.0-only */
/* multiboot v1 header and entry: a stack, then mb_main(magic, info) */
	.section .multiboot, "a"
	.balign 4
	.long 0x1badb002		/* magic */
	.long 0x00000003		/* flags: page-align modules, memory information */
	.long -(0x1badb002 + 0x00000003)

	.text
	.globl _start
_start:
	movl $stack_top, %esp
	pushl %ebx
	pushl %eax
	call mb_main
1:	cli
	hlt
	jmp 1b

	/* the UART's interrupt handler (vector 0x24 in "irq" mode) */
	.globl isr_uart
isr_uart:
	pushal
	cld
	call uart_isr
	popal
	iret

	.bss
	.balign 16
	.space 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
