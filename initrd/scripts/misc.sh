# assorted: environment, subshells, set -e, arithmetic, printf, timing applets
export A=1
( A=2; echo "subshell A=$A" ); echo "parent A=$A"
( cd / && pwd ); pwd | sed 's,.*/,,' | grep -c .
set -e; false || echo "set -e: || protects"; set +e
sh -e -c 'false; echo not reached'; echo "sh -e status $?"
sh -c 'exit 300'; echo "exit 300 is $?"
echo "$(( 1 << 10 )) $(( -7 / 2 )) $(( 0x10 + 010 )) $(( 5 > 3 ))"
printf '%5s|%-5s|%c\n' ab cd efg
echo -e 'tab\there' ; echo -n "no newline"; echo
seq 3 -1 1; seq -s, 1 5
true && echo "and"; false || echo "or"
[ "$(echo abc | cut -c2)" = b ] && echo "cut -c ok"
timeout 1 sleep 5; echo "timeout status $?"
timeout -s KILL 1 sleep 5; echo "timeout KILL status $?"
sleep 0.1; echo "fractional sleep ok"
time_start=$(date +%s); sleep 1; time_end=$(date +%s); d=$((time_end - time_start)); [ $d -ge 1 ] && [ $d -le 3 ] && echo "date advanced"
date -d @0 -u '+%Y-%m-%d %H:%M:%S'
id -u | grep -c .
hostname >/dev/null && echo "hostname ok"
uname -s
nproc >/dev/null && echo nproc ok
which sh >/dev/null && echo "which finds sh"
type cd | head -n 1
alias ll='echo aliased'; eval ll
eval 'echo "eval: $((6 * 7))"'
getopts_test() { while getopts "ab:" o; do echo "opt $o ${OPTARG:-}"; done; }; getopts_test -a -b val
read_ifs() { IFS=, read a b c; echo "$c-$b-$a"; }; echo 1,2,3 | read_ifs
printf '%s\n' "${PWD##*/}" | grep -c .
echo ~ | grep -c /
cd /; cd - >/dev/null; echo "cd - ok"
umask; umask 077; umask; umask 022
ulimit -n
echo $((RANDOM >= 0))
