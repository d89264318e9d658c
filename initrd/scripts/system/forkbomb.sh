# A fork bomb: the process table fills up, forks fail with EAGAIN, and
# the shell (the first process) survives, kills the rest, and goes on.
# While the bomb runs this shell uses builtins only: a fork that fails
# ends a non-interactive shell, on Linux too.
# processes are counted with a glob (no fork: a pipeline's own processes
# would be counted or not depending on timing)
set -- /proc/[0-9]*
echo "before: $# processes"
# every bomb process keeps forking until /tmp/stop exists
bomb() { while [ ! -e /tmp/stop ]; do bomb & done; }
bomb 2>/tmp/bomb-errors &
read -t 5 x
: > /tmp/stop
kill -9 -1 2>/dev/null
read -t 1 x
kill -9 -1 2>/dev/null
wait
echo "survived"
grep -q "can't fork: Resource temporarily unavailable" /tmp/bomb-errors && echo "forks failed with EAGAIN"
set -- /proc/[0-9]*
echo "after: $# processes"
echo "pipes still work" | tr a-z A-Z
exit 0
