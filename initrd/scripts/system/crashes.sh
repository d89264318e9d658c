# Children that crash or cannot be run: the shell survives each one and
# reports a status.
/bin/segv; echo "segv status $?"
sh -c 'kill -SEGV $$'; echo "self-SEGV status $?"
sh -c 'kill -ABRT $$'; echo "abort status $?"
cd /tmp
head -c 3000 /bin/busybox > truncated-elf; chmod +x truncated-elf
./truncated-elf; s=$?; [ $s -ge 128 ] && echo "truncated ELF killed by a signal"
dd if=/dev/urandom of=garbage bs=1k count=4 2>/dev/null; chmod +x garbage
./garbage >/dev/null 2>&1; echo "garbage ran (status $?)"
printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\002\000\003\000' > bad-elf; chmod +x bad-elf
./bad-elf 2>/dev/null; echo "bad ELF header status $?"
printf '#!/bin/sh\nexec ./truncated-elf\n' > crash-script; chmod +x crash-script
./crash-script; s=$?; [ $s -ge 128 ] && echo "script exec'ing a crash: killed"
for i in 1 2 3 4 5; do /bin/segv; done; echo "five crashes later: $?"
# more memory than there is: the process is killed, the shell goes on
dd if=/dev/zero of=/dev/null bs=100M count=1 iflag=fullblock 2>/dev/null; echo "out of memory: status $?"
echo "memory is back" | cat
echo "the shell survived"
exit 0
