/*
 * /init for native Linux runs (xtask/src/native.rs).
 *
 * The kernel command line is `console=ttyS0 ... -- PROGRAM ARGS...`; the
 * kernel passes PROGRAM ARGS to /init as its arguments.  /init
 *   1. mounts proc on /proc, sysfs on /sys and tmpfs on /tmp (the device
 *      nodes in /dev come from the initramfs itself),
 *   2. prints `native-start`, forks, executes PROGRAM with ARGS and the
 *      kernel's environment plus PATH, and waits for it (reaping any other
 *      orphans meanwhile),
 *   3. prints `native-exit STATUS` on a line of its own, preceded by one
 *      newline of its own (STATUS in shell encoding: the exit code, or
 *      128+N for signal N; 127 if PROGRAM could not be executed),
 *   4. drains the console and calls reboot(LINUX_REBOOT_CMD_RESTART); QEMU
 *      runs with -no-reboot, so it exits.
 */
#include "sys.h"

#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define TCSBRK 0x5409
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_RESTART 0x01234567

static void mount_fs(const char *type, const char *dir, long flags)
{
	long r = sys5(SYS_mount, (long)type, (long)dir, (long)type, flags, 0);
	if (r < 0) {
		put("native-init: mount ");
		put(type);
		put(" on ");
		put(dir);
		put(" failed: ");
		put_int(r);
		put("\n");
	}
}

static char *env[64];

int main(int argc, char **argv, char **envp)
{
	int status = 127;

	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("tmpfs", "/tmp", MS_NOSUID | MS_NODEV);

	int n = 0;
	env[n++] = "PATH=/bin:/sbin:/usr/bin:/usr/sbin";
	for (char **e = envp; *e && n < 63; e++)
		env[n++] = *e;
	env[n] = 0;

	if (argc < 2) {
		put("native-init: no program: boot with `... -- /path/to/program args`\n");
	} else {
		put("native-start\n");
		long pid = sys0(SYS_fork);
		if (pid == 0) {
			long r = sys3(SYS_execve, (long)argv[1], (long)(argv + 1), (long)env);
			put("native-init: cannot execute ");
			put(argv[1]);
			put(": error ");
			put_int(-r);
			put("\n");
			sys_exit(127);
		} else if (pid < 0) {
			put("native-init: fork failed\n");
		} else {
			for (;;) {
				int st = 0;
				long w = sys4(SYS_wait4, -1, (long)&st, 0, 0);
				if (w == pid) {
					if ((st & 0x7f) == 0)
						status = (st >> 8) & 0xff;
					else
						status = 128 + (st & 0x7f);
					break;
				}
				if (w < 0 && w != -4 /* EINTR */) {
					put("native-init: wait4 failed\n");
					break;
				}
			}
		}
	}

	put("\nnative-exit ");
	put_int(status);
	put("\n");
	sys3(SYS_ioctl, 1, TCSBRK, 1); /* tcdrain: let the UART send it all */
	sys4(SYS_reboot, (long)LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, 0);
	for (;;)
		sys0(29 /* pause */);
}
