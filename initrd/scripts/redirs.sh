# redirections and descriptors
echo first > out.txt
echo second >> out.txt
cat < out.txt
wc -l < out.txt
ls nonexistent-file 2> err.txt; echo "ls status $?"
cat err.txt
ls nonexistent-file > both.txt 2>&1; cat both.txt
exec 3> fd3.txt
echo "to fd 3" >&3
exec 3>&-
cat fd3.txt
exec 4< out.txt
read line <&4; echo "from fd 4: $line"
read line <&4; echo "from fd 4: $line"
exec 4<&-
{ echo stdout; echo stderr >&2; } 2>&1 | sort
echo "to devnull" > /dev/null
set -C
echo clobber > out.txt 2>/dev/null || echo "noclobber refused"
set +C
echo replaced >| out.txt; cat out.txt
: > empty.txt; wc -c < empty.txt
echo hello 1>&2 2>/dev/null
( echo "subshell redirect" ) > sub.txt; cat sub.txt
echo abc > rw.txt; exec 5<> rw.txt; read -n 1 c <&5 2>/dev/null || read c <&5; echo "x" >&5; exec 5>&-; cat rw.txt
cat < /dev/null; echo "empty input ok"
echo "closed stdout" >&- 2>/dev/null; echo "status writing to closed fd: $?"
# the /dev links into /proc/self/fd
echo "through /dev/stdin" | cat /dev/stdin
echo "through /dev/stdout" >> /dev/stdout
[ -e /dev/fd/0 ] && echo "/dev/fd/0 exists"
[ -L /dev/stdin ] && echo "/dev/stdin is a link"
