# traps and signals to the shell itself
trap 'echo "caught USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "caught TERM"' TERM
kill -TERM $$
echo "after TERM"
trap - TERM
trap 'echo "caught INT"' INT
kill -INT $$
trap '' HUP
kill -HUP $$
echo "HUP ignored"
( trap 'echo "subshell EXIT trap"' EXIT; echo "in subshell" )
sh -c 'trap "echo child EXIT trap" EXIT; exit 3'; echo "child status $?"
sh -c 'kill -TERM $$; echo not reached'; echo "killed by TERM: $?"
sh -c 'kill -KILL $$'; echo "killed by KILL: $?"
sh -c 'kill -SEGV $$'; echo "killed by SEGV: $?"
sh -c 'trap "echo child got USR2; exit 5" USR2; kill -USR2 $$; sleep 5'; echo "child status $?"
# a trap runs between commands while a foreground child runs
trap 'echo "ALRM trap"' ALRM
( sleep 1; kill -ALRM $$ ) &
sleep 2
wait
echo "trap list:"
trap
trap 'echo "EXIT trap of the script"' EXIT
echo end
