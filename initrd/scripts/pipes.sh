# pipelines: data through pipes, exit statuses, SIGPIPE, large transfers
echo a | cat
echo one two three | tr ' ' '\n' | sort -r | head -n 2
printf 'x\ny\nz\n' | wc -l
true | false; echo "status of true|false: $?"
false | true; echo "status of false|true: $?"
! true; echo "negated: $?"
seq 1 20000 | wc -l
seq 1 20000 | md5sum
yes | head -n 3
yes abcdefghijklmnopqrstuvwxyz | head -c 100000 | wc -c
# the writer of a closed pipe dies of SIGPIPE, the shell goes on
( yes; echo "yes ended: not reached" >&2 ) | head -n 1
# a long pipeline of processes
echo pipeline | cat | cat | cat | cat | cat | cat | cat | cat | tr a-z A-Z
# pipes and subshells and braces
{ echo brace1; echo brace2; } | sort -r
( echo sub1; echo sub2 ) | tail -n 1
# a reader that is slower than the writer: PIPE_BUF-sized pieces stay whole
seq 1 3000 | while read n; do [ $((n % 1000)) -eq 0 ] && echo "read $n"; done
# dd through a pipe in blocks
dd if=/dev/zero bs=4096 count=64 2>/dev/null | dd bs=512 2>/dev/null | wc -c
