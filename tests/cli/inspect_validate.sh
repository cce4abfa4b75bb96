make_text_stream s.mmt
run mm-inspect --validate s.mmt
run mm-inspect --validate -q s.mmt
run mm-inspect --validate --json s.mmt
# cut off: the end record is missing
sh 'head -c 200 s.mmt > cut.mmt'
run mm-inspect --validate cut.mmt
run mm-inspect --validate --json cut.mmt
run mm-inspect cut.mmt
# one byte changed inside the first tokens record's payload
sh 'cp s.mmt bad.mmt && printf "\x00" | dd of=bad.mmt bs=1 seek=157 conv=notrunc status=none'
run mm-inspect --validate bad.mmt
# not a stream at all
sh 'echo "hello" | mm-inspect --validate'
run mm-inspect --validate /dev/null
