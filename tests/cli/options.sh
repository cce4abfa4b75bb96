make_text_stream s.mmt
sh 'mm-inspect --help | head -3'
run mm-inspect --version
run mm-inspect --frobnicate
run mm-inspect --dump --pack s.mmt
run mm-inspect s.mmt extra.mmt
# -o never overwrites without -f, and writes atomically
run mm-inspect -o summary.txt s.mmt
run mm-inspect -o summary.txt s.mmt
run mm-inspect -f -o summary.txt s.mmt
sh 'ls -a | grep -c "^\.summary" || true'
# a failure leaves neither the file nor a temporary behind
run mm-inspect --validate -o report.txt /dev/null
sh 'ls -a | grep report || echo "nothing left"'
# bad inputs
run mm-inspect missing.mmt
run mm-inspect .
# binary never goes to a terminal; nor is a stream read from one
on_terminal 'mm-inspect --pack < /dev/null'
on_terminal 'mm-inspect'
# a closed pipe ends the program quietly
sh 'for i in $(seq 30000); do echo "tokens $((i % 256)) 1 2 3 4 5 6 7 8 9"; done > body.txt; { echo "stream 1.0"; echo "segment {\"modality\":\"text\",\"tokenizer\":\"bytes\",\"vocab_size\":256}"; cat body.txt; echo segment-end; echo end; } | mm-inspect --pack -o big.mmt'
sh 'mm-inspect --dump big.mmt | head -c 19'
# killed half-way: the temporary file goes with it
sh 'mkfifo fifo; sleep 3 > fifo & mm-inspect --pack -o killed.mmt fifo & pid=$!; for i in $(seq 100); do ls -a | grep -q "^\.killed" && break; sleep 0.05; done; echo "temporaries while running: $(ls -a | grep -c "^\.killed")"; kill -TERM $pid; wait $pid; echo "status $?"; ls -a | grep -c killed || true'
