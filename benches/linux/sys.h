/*
 * Freestanding i386 Linux programs for the native baseline: raw `int $0x80`
 * system calls, no libc, nothing an i486 lacks.  Each program includes this
 * header once and defines `int main(int argc, char **argv, char **envp)`.
 *
 * Built by xtask/src/native.rs with
 *   gcc -m32 -march=i486 -static -nostdlib -ffreestanding -fno-pie -no-pie -O2 ...
 */
#ifndef NATIVE_SYS_H
#define NATIVE_SYS_H

typedef __SIZE_TYPE__ size_t;

enum {
	SYS_exit = 1,
	SYS_fork = 2,
	SYS_read = 3,
	SYS_write = 4,
	SYS_execve = 11,
	SYS_getpid = 20,
	SYS_mount = 21,
	SYS_kill = 37,
	SYS_mkdir = 39,
	SYS_ioctl = 54,
	SYS_reboot = 88,
	SYS_wait4 = 114,
	SYS_exit_group = 252,
};

static inline long sys0(long n)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n) : "memory");
	return r;
}

static inline long sys1(long n, long a)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a) : "memory");
	return r;
}

static inline long sys2(long n, long a, long b)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b) : "memory");
	return r;
}

static inline long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static inline long sys4(long n, long a, long b, long c, long d)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
	return r;
}

static inline long sys5(long n, long a, long b, long c, long d, long e)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
	return r;
}

static __attribute__((noreturn)) void sys_exit(int status)
{
	for (;;)
		sys1(SYS_exit_group, status);
}

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

static __attribute__((unused)) size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static __attribute__((unused)) void put_fd(int fd, const char *s)
{
	size_t n = str_len(s);
	while (n > 0) {
		long w = sys3(SYS_write, fd, (long)s, (long)n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static __attribute__((unused)) void put(const char *s)
{
	put_fd(1, s);
}

/* Decimal text of `v` (signed) in `buf` (at least 12 bytes). */
static __attribute__((unused)) char *fmt_int(char *buf, long v)
{
	char tmp[12];
	int i = 0, j = 0;
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
	do {
		tmp[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[j++] = '-';
	while (i)
		buf[j++] = tmp[--i];
	buf[j] = 0;
	return buf;
}

static __attribute__((unused)) void put_int(long v)
{
	char b[12];
	put(fmt_int(b, v));
}

int main(int argc, char **argv, char **envp);

/* The stack at entry: argc, argv[0..argc], NULL, envp..., NULL. */
__attribute__((used, noreturn)) void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	sys_exit(main(argc, argv, argv + argc + 1));
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"\txorl %ebp, %ebp\n"
	"\tmovl %esp, %eax\n"
	"\tandl $-16, %esp\n"
	"\tsubl $12, %esp\n"
	"\tpushl %eax\n"
	"\tcall start_c\n"
	"\thlt\n");

#endif
