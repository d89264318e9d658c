# here-documents
name=world
cat <<EOT
hello $name
sum: $((1 + 2))
cmd: $(echo substituted)
EOT
cat <<'EOT'
no $expansion here
EOT
cat <<-EOT
	leading tabs
		are stripped
	EOT
while read a b; do echo "$b $a"; done <<EOT
1 one
2 two
EOT
wc -c <<EOT
$(seq 1 1000)
EOT
sort <<EOT | uniq -c
b
a
b
EOT
cat <<A; cat <<B
first doc
A
second doc
B
f() { cat <<EOT
in function $1
EOT
}
f arg
