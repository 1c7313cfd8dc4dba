/* SPDX-License-Identifier: MIT */
/*
 * A <sys/sdt.h> without the argument-description macros that tracepoint.h
 * uses (_SDT_ASM_TEMPLATE_n, _SDT_ASM_OPERANDS_n, ...), as another version
 * of the header may lack: only its public STAP_PROBE macros.
 */
#ifndef _SYS_SDT_H
#define _SYS_SDT_H 1
#define STAP_PROBE(provider, name) __asm__ __volatile__("nop")
#define DTRACE_PROBE(provider, name) STAP_PROBE(provider, name)
#endif
