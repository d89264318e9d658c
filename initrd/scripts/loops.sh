# loops, conditionals, case, read
for i in 1 2 3; do echo "for $i"; done
for w in $(echo alpha beta); do echo "word $w"; done
i=0; while [ $i -lt 3 ]; do i=$((i + 1)); echo "while $i"; done
i=0; until [ $i -ge 2 ]; do i=$((i + 1)); echo "until $i"; done
for i in 1 2 3 4 5 6; do
    [ $i -eq 2 ] && continue
    [ $i -eq 5 ] && break
    echo "loop $i"
done
for x in a b; do for y in 1 2; do [ $y = 2 ] && continue 2; echo "$x$y"; done; done
for f in apple banana cherry date; do
    case $f in
        a*) echo "$f starts with a" ;;
        b*|c*) echo "$f starts with b or c" ;;
        *) echo "$f is other" ;;
    esac
done
printf 'line one\nline two\nlast line without newline' > input.txt
while read -r a b; do echo "read: [$a] [$b]"; done < input.txt
echo "read status at EOF with a partial line: $(read x < /dev/null; echo $?)"
cat input.txt | while IFS= read -r line || [ -n "$line" ]; do echo "piped: $line"; done
if [ -f input.txt ] && ! [ -d input.txt ]; then echo "file test ok"; fi
[ 10 -gt 9 ] && [ abc \< abd ] && echo "comparisons ok"
test -z "" && test -n "x" && echo "string tests ok"
n=0; for i in $(seq 1 200); do n=$((n + i)); done; echo "sum=$n"
