# Runs every test script (arguments: the script directory, a work
# directory, then script names without .sh) in a fresh directory of its
# own with stdin from /dev/null, and prints each one's output between
#   === BEGIN name
#   === END name status N
# lines. The same driver runs on the host and inside the system.
dir=$1; work=$2; shift 2
umask 022
ulimit -n 1024 2>/dev/null
mkdir -p "$work" || exit 1
for name in "$@"; do
    mkdir "$work/$name" && cd "$work/$name" || exit 1
    cp "$dir/$name.sh" "$work/$name.sh" || exit 1
    echo "=== BEGIN $name"
    # the same relative path on both sides: error messages name it
    sh "../$name.sh" < /dev/null > "$work/$name.out" 2>&1
    status=$?
    cat "$work/$name.out"
    echo "=== END $name status $status"
    cd / && rm -rf "$work/$name"
done
echo "=== DRIVER DONE"
