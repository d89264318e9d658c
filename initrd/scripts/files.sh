# file operations with the applets
mkdir -p a/b/c
echo "hello" > a/b/c/f1
printf 'zeta\nalpha\nbeta\nalpha\ngamma\nbeta\nalpha\n' > a/words
cp a/words a/words.copy
cmp a/words a/words.copy && echo "cp: identical"
mv a/words.copy a/b/moved
ls a/b
rm a/b/moved
ls a/b
cp -r a copy-of-a
find copy-of-a | sort
find . -name 'f1' | sort
find . -type d | sort
sort a/words
sort -r a/words | head -n 2
sort -u a/words
sort a/words | uniq
sort a/words | uniq -c
sort a/words | uniq -d
wc a/words
wc -l -w -c a/words
grep alpha a/words
grep -c alpha a/words
grep -n beta a/words
grep -v a a/words
grep -r hello . | sort
grep -q missing a/words; echo "grep miss: $?"
sed 's/alpha/ALPHA/' a/words | head -n 3
sed -n '2,3p' a/words
sed -e '/beta/d' -e 's/a/@/g' a/words
printf 'k1 10\nk2 20\nk1 5\n' > kv
awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' kv | sort
awk 'BEGIN { x = 7; y = 3; printf "%d %d %.3f\n", x * y, x % y, x / y }'
awk -F: '{ print NF, $1 }' <<EOT
a:b:c
d
EOT
cut -d' ' -f2 kv
tr 'a-z' 'A-Z' < a/words | head -n 2
head -n 2 a/words; tail -n 2 a/words
tail -c 6 a/words
rev a/b/c/f1 2>/dev/null || echo "(no rev)"
ln a/words hardlink
ln -s a/words symlink
readlink symlink
cat symlink | head -n 1
echo more >> hardlink; tail -n 1 a/words
stat -c '%h %s %F' a/words
stat -c '%F' symlink a a/b/c/f1
ls -1 a
mkdir d1; touch d1/x d1/y; rmdir d1 2>/dev/null || echo "rmdir refused a non-empty directory"
rm -r d1; [ -e d1 ] || echo "rm -r removed it"
umask 027; touch masked; mkdir maskdir; stat -c '%a %n' masked maskdir; umask 022
chmod 640 masked; stat -c '%a' masked
chmod u+x,g-r masked; stat -c '%a %A' masked
chmod 4755 masked; stat -c '%a %A' masked
chown $(id -u):$(id -g) masked && echo "chown to myself ok"
touch -d '2001-02-03 04:05:06' dated; stat -c '%y' dated | cut -c1-19
truncate -s 10 a/b/c/f1 2>/dev/null && stat -c '%s' a/b/c/f1
dd if=/dev/zero of=zeros bs=1k count=3 2>/dev/null; stat -c '%s' zeros
seq 1 1000 > nums; md5sum < nums; head -n 300 nums > part-a; tail -n +301 nums > part-b; cat part-a part-b | cmp - nums && echo 'parts join'
printf 'abc' | od -An -c
printf '\001\002\377' | od -An -tx1
printf 'line\n' | tee teeout | cat; cat teeout
echo a b c d e | xargs -n 2 echo
seq 1 5 | xargs echo sum: | awk '{ print $1, $2 + $3 + $4 + $5 + $6 }'
basename /x/y/z.txt .txt; dirname /x/y/z.txt
printf '%s-%d-%05.1f|%x\n' str 42 3.14159 255
expr 6 \* 7; expr length hello
echo 'a,b;c' | tr ',;' '  '
diff a/words a/words && echo "diff: same"
printf 'x\n' > d1; printf 'y\n' > d2; diff d1 d2 | tail -n 2
comm -12 a/words a/words 2>/dev/null | head -n 1 || true
sync && echo synced
