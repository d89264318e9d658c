/*
 * getpid cost on native Linux: rdtsc, 1000 x getpid, rdtsc.  Under
 * `-icount shift=0,align=off,sleep=off` the time stamp counter advances one
 * per guest instruction, so the difference counts instructions.  An empty
 * loop of the same shape is timed too, for the loop's own cost.
 */
#include "sys.h"

#define N 1000

static inline unsigned int tsc(void)
{
	unsigned int lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	unsigned int t0 = tsc();
	for (int i = 0; i < N; i++)
		sys0(SYS_getpid);
	unsigned int t1 = tsc();
	for (int i = 0; i < N; i++)
		__asm__ volatile("" ::: "memory");
	unsigned int t2 = tsc();
	unsigned int call = t1 - t0, empty = t2 - t1, net = call - empty;
	put("getpid-loop ");
	put_int((long)call);
	put("\nempty-loop ");
	put_int((long)empty);
	put("\ngetpid-per-call ");
	put_int((long)(net / N));
	put(".");
	char b[12];
	fmt_int(b, (long)(net % N + N)); /* three digits after the point */
	put(b + 1);
	put("\n");
	return 0;
}
