# background jobs and wait
sleep 1 &
p=$!
wait $p; echo "waited for sleep: $?"
(exit 3) &
wait $!; echo "background exit status: $?"
for i in 1 2 3; do (sleep 0.$i; echo "job $i done") & done
wait
echo "all jobs done"
# (whether ash prints "Terminated" depends on whether the job died before
# the next builtin ran: a race on Linux too, so stderr is dropped)
sh -c 'sleep 10' &
k=$!
kill $k
wait $k 2>/dev/null; echo "killed job status: $?"
sleep 10 &
kill -9 $!
wait $! 2>/dev/null; echo "SIGKILL job status: $?"
wait; echo "wait without jobs: $?"
( echo "background output"; ) &
wait
echo "\$! is a number: $(case $! in *[!0-9]*) echo no;; *) echo yes;; esac)"
# many short background jobs
for i in $(seq 1 30); do true & done
wait
echo "30 jobs reaped"
# a job that outlives its parent subshell
( sleep 0.3 & ) ; echo "subshell returned"
sleep 0.5
