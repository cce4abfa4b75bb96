make_text_stream s.mmt
run mm-inspect --dump s.mmt
sh 'mm-inspect --dump s.mmt | mm-inspect --pack > again.mmt && cmp s.mmt again.mmt && echo identical'
# edit by hand: change a code and add a turn, then re-pack and check
sh 'mm-inspect --dump s.mmt | sed "s/^tokens 104 /tokens 72 /; s/^end$/segment {\"modality\":\"text\",\"role\":\"assistant\",\"tokenizer\":\"bytes\",\"vocab_size\":256}\ntokens 33\nsegment-end\nend/" > edited.txt'
run mm-inspect --pack -o edited.mmt edited.txt
run mm-inspect --validate edited.mmt
sh 'mm-inspect --dump edited.mmt | grep "^tokens"'
# a mistake in the text names its line, and writes nothing
sh 'sed "s/^tokens 72 /tokens 72 300 /" edited.txt | mm-inspect --pack -o broken.mmt'
sh 'ls broken.mmt 2>&1 | sed "s/.*: //"'
