# /proc seen from a script (only fields that do not depend on the host)
echo "self is a link: $([ -L /proc/self ] && echo yes)"
sh -c 'echo $$ > pid.txt; exec cat /proc/self/stat > stat.txt'
awk '{ print "stat fields:", NF, "state:", $3, "comm:", $2 }' stat.txt
cat /proc/self/cmdline | tr '\0' ' '; echo
sh -c 'cat /proc/$$/cmdline' | tr '\0' '|' | sed 's/[0-9][0-9]*/N/'; echo
grep -E '^(Name|State|PPid):' /proc/self/status | awk '{ print $1, ($1 == "PPid:") ? "n" : $2 }'
ls /proc/self/fd | sort -n | head -n 3
readlink /proc/self/fd/1 >/dev/null && echo "fd link readable"
exec 7> seven.txt; ls -l /proc/$$/fd/7 | awk '{ print $NF }' | sed 's,.*/,,'; exec 7>&-
awk '/^MemTotal:/ { print $1, ($2 > 0) ? "positive" : "zero", $3 }' /proc/meminfo
awk '{ print NF, ($1 >= 0) ? "ok" : "bad" }' /proc/uptime
awk '{ print NF }' /proc/loadavg
grep -c ' /proc ' /proc/mounts
[ -r /proc/self/exe ] && echo "exe readable"
cat /proc/self/comm
sleep 5 & s=$!
awk '{ print "child ppid is us:", ($4 == '$$') ? "yes" : "no" }' /proc/$s/stat
kill $s; wait $s 2>/dev/null
ls /proc | grep -c '^self$'
ls -d /proc/[0-9]* >/dev/null && echo "pid directories listed"
