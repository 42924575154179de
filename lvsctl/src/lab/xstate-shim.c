/*
 * LD_PRELOAD shim for Debian's linux.uml 6.1 on hosts with AMX (Sapphire Rapids and later).
 *
 * UML saves and restores a process's FPU state with PTRACE_{GET,SET}REGSET(NT_X86_XSTATE) using a buffer
 * sized for the XCR0 features without the dynamically enabled ones (2696 bytes: up to PKRU). The host
 * kernel's xstateregs_set() insists on a whole buffer of fpu_user_cfg.max_size, which includes the AMX
 * tile state (11008 bytes), and answers EFAULT otherwise: UML then panics ("ptrace set fp regs failed,
 * errno = 14"). GETREGSET accepts a short buffer, so only SETREGSET needs help: on EFAULT we read the
 * tracee's whole current state, lay UML's shorter buffer over its start and write back the whole
 * buffer. The part UML does not know about is the AMX state, which no UML process has permission to
 * use, so it is carried over unchanged. On hosts without AMX the first call succeeds and nothing changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define WHOLE_XSTATE_MAX (64 * 1024)

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

static long set_whole_xstate(ptrace_fn real, pid_t pid, const struct iovec *partial)
{
	static unsigned char whole[WHOLE_XSTATE_MAX] __attribute__((aligned(64)));
	struct iovec iov = { whole, sizeof(whole) };

	if (real(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -1;
	if (partial->iov_len > iov.iov_len) {
		errno = EFAULT;
		return -1;
	}
	memcpy(whole, partial->iov_base, partial->iov_len);
	return real(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov);
}

long ptrace(enum __ptrace_request request, ...)
{
	static ptrace_fn real;
	va_list ap;
	pid_t pid;
	void *addr, *data;
	long ret;

	va_start(ap, request);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");

	ret = real(request, pid, addr, data);
	if (ret < 0 && errno == EFAULT && request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE)
		ret = set_whole_xstate(real, pid, data);
	return ret;
}
