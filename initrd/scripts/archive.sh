# tar, gzip and checksums round trips
mkdir -p tree/sub/deeper
seq 1 2000 > tree/numbers
printf 'text file\n' > tree/sub/text
dd if=/dev/zero bs=1000 count=50 2>/dev/null | tr '\0' 'z' > tree/sub/deeper/zs
ln -s ../numbers tree/sub/link
md5sum tree/numbers tree/sub/text tree/sub/deeper/zs
sha1sum tree/numbers
sha256sum tree/sub/text
tar cf tree.tar tree
tar tf tree.tar | sort
mkdir out
tar xf tree.tar -C out
md5sum out/tree/numbers out/tree/sub/text out/tree/sub/deeper/zs
readlink out/tree/sub/link
cmp tree/numbers out/tree/numbers && echo "tar round trip ok"
gzip -c tree/numbers > numbers.gz
gzip -t numbers.gz && echo "gzip -t ok"
gunzip -c numbers.gz | md5sum
zcat numbers.gz | tail -n 1
tar czf tree.tgz tree
mkdir out2
tar xzf tree.tgz -C out2
diff -r tree out2/tree && echo "tgz round trip ok"
gzip tree/sub/text; ls tree/sub
gunzip tree/sub/text.gz; cat tree/sub/text
cat tree/numbers | gzip -9 | gunzip | wc -l
bzip2 -c tree/numbers 2>/dev/null | bunzip2 | wc -l
cpio --help >/dev/null 2>&1; find tree -type f | sort | cpio -o -H newc 2>/dev/null | cpio -t 2>/dev/null | sort
