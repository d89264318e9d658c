# exec: scripts with #!, errors, and what the shell survives
printf '#!/bin/sh\necho "script args: $# $1 $2"\nexit 4\n' > script.sh
chmod +x script.sh
./script.sh one two; echo "script status $?"
printf '#! /bin/sh -e\necho "with an interpreter argument"\nfalse\necho not reached\n' > script2.sh
chmod +x script2.sh
./script2.sh; echo "script2 status $?"
printf 'echo "no #! line: run by the shell"\n' > plain.sh
chmod +x plain.sh
./plain.sh; echo "plain status $?"
./nonexistent 2>/dev/null; echo "missing command status $?"
printf 'echo hi\n' > noexec.sh
./noexec.sh 2>/dev/null; echo "not executable status $?"
printf '\177ELF\001\001\001\000garbage that is not a program\n' > garbage
chmod +x garbage
./garbage 2>/dev/null; echo "garbage status $?"
printf '#!/nonexistent/interpreter\n' > badinterp
chmod +x badinterp
./badinterp 2>/dev/null; echo "bad interpreter status $?"
mkdir dir.x; chmod +x dir.x; ./dir.x 2>/dev/null; echo "directory status $?"
(exec echo "exec replaces the subshell")
sh -c 'exec sh -c "echo nested exec; exit 9"'; echo "nested exec status $?"
env -i sh -c 'echo "env -i: [$HOME]"'
X=exported sh -c 'echo "env var: $X"'
export Y=exported2; sh -c 'echo "exported: $Y"'
sh -c 'echo "\$0=$0 \$1=$1"' zero one
echo "the shell survived"
