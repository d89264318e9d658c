# ps and kill: only our own children are looked at (the host has others)
sleep 30 &
s=$!
sleep 0.3
ps -o pid,comm | awk -v p=$s '$1 == p { print "found", $2 }'
ps | awk -v p=$s '$1 == p { print "ps line for sleep:", $NF, $(NF-1) }'
grep -c '^State:' /proc/$s/status
kill -STOP $s
sleep 0.2
awk '/^State/ { print "stopped:", $2 }' /proc/$s/status
kill -CONT $s
sleep 0.2
awk '/^State/ { print "continued:", $2 }' /proc/$s/status
kill $s
wait $s 2>/dev/null; echo "sleep ended with $?"
kill $s 2>/dev/null || echo "kill of a reaped pid fails"
kill -0 $$ && echo "kill -0 self ok"
kill -l 2>/dev/null | head -n 1 | cut -c1-20
kill -l 15; kill -l TERM
sleep 30 & a=$!; sleep 30 & b=$!
kill -TERM $a $b; wait $a 2>/dev/null; echo "a: $?"; wait $b 2>/dev/null; echo "b: $?"
( sleep 30; echo not reached ) & c=$!
kill -TERM $c; wait $c 2>/dev/null; echo "c: $?"
sh -c 'echo "ppid is the shell: $([ $PPID = '$$' ] && echo yes)"'
pidof sleep >/dev/null 2>&1; echo "pidof ran"
