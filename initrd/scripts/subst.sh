# command substitution, arithmetic, parameter expansion
x=$(echo sub)
echo "x=$x"
y=`echo back tick`
echo "y=$y"
n=$(printf 'a\nb\n\n\n')
echo "trailing newlines removed: [$n]"
nested=$(echo $(echo $(echo deep)))
echo "nested=$nested"
echo "count=$(seq 1 100 | wc -l)"
echo "arith=$(( (3 + 4) * 5 % 7 ))"
i=0; i=$((i + 1)); echo "i=$i"
s="hello world"
echo "${#s} ${s%world} ${s#hello } ${s%%o*} ${s##*o}"
echo "${unset_var:-default} ${unset_var:=assigned} $unset_var"
big=$(seq 1 5000)
echo "big lines: $(echo "$big" | wc -l)"
status=$(exit 3); echo "status of substitution: $?"
echo "$(echo "quoted  spaces")"
IFS=:; set -- $(echo a:b:c); IFS=' '; echo "fields: $# $1 $2 $3"
echo "subshell pid differs: $( [ "$(sh -c 'echo $PPID')" != "" ] && echo yes)"
