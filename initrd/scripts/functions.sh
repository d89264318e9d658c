# functions: arguments, return values, local, recursion
greet() { echo "hello $1 ($# args)"; }
greet world extra
add() { echo $(($1 + $2)); }
echo "add=$(add 2 40)"
ret() { return $1; }
ret 7; echo "return status $?"
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(($1 * $(fact $(($1 - 1))))); fi; }
echo "fact 10 = $(fact 10)"
fib() { if [ $1 -lt 2 ]; then echo $1; else echo $(( $(fib $(($1 - 1))) + $(fib $(($1 - 2))) )); fi; }
echo "fib 12 = $(fib 12)"
v=global
scope() { local v=local; echo "inside $v"; }
scope; echo "outside $v"
args() { for a in "$@"; do echo "arg [$a]"; done; }
args "a b" c "" d
shifty() { shift 2; echo "after shift: $*"; }
shifty 1 2 3 4
counter=0
inc() { counter=$((counter + 1)); }
inc; inc; inc; echo "counter=$counter"
piped() { while read l; do echo "fn got $l"; done; }
printf '1\n2\n' | piped
set -- x y z; echo "positional: $# $@"
