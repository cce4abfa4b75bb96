# text and code round-trip byte for byte through the default bundle
printf 'Hello, world.\nSecond line.\n' > hello.txt
run mm-tokenize hello.txt -o hello.mmt
sh 'mm-inspect --dump hello.mmt | sed "s/bpe-[0-9a-f]*/BPE/"'
sh 'mm-render hello.mmt | cmp - hello.txt && echo identical'
# code keeps its language; any bytes round-trip with --modality text
printf 'int main() { return 0; }\n' > main.cpp
sh 'mm-tokenize main.cpp | mm-inspect --json | python3 -c "import json,sys; s=json.load(sys.stdin)[\"segments\"][0]; print(s[\"modality\"], s[\"metadata\"][\"language\"], s[\"metadata\"][\"source\"])"'
sh 'head -c 100000 /dev/urandom > blob.bin; mm-tokenize --modality text blob.bin | mm-render | cmp - blob.bin && echo identical'
sh 'cat /usr/share/common-licenses/GPL-3 | mm-tokenize | mm-render | cmp - /usr/share/common-licenses/GPL-3 && echo identical'
# a conversation: literals first, then files, one segment each, with a role
sh 'mm-tokenize --role user --text "What does this print?" main.cpp | mm-inspect | cut -c1-60 | sed "s/bpe-[0-9a-f]*/BPE/"'
# several segments: a pattern or a directory
sh 'mm-tokenize --text one --text two hello.txt main.cpp -o four.mmt'
run mm-render four.mmt -o single.txt
sh 'ls single.txt 2>&1 | sed "s/.*: //"'
run mm-render four.mmt --segment 2 -o single.txt
sh 'cmp single.txt hello.txt && echo identical'
run mm-render four.mmt -o part-%02d.txt
sh 'cat part-00.txt; echo; cat part-01.txt; echo; cmp part-02.txt hello.txt && cmp part-03.txt main.cpp && echo files identical'
run mm-render -v four.mmt -o out/
sh 'ls out'
run mm-render four.mmt --segment 1
run mm-render four.mmt --segment 9
# bad input
run mm-tokenize blob.bin
sh ': > empty.txt; mm-tokenize empty.txt'
run mm-tokenize --role king hello.txt
run mm-tokenize --bundle /nonexistent hello.txt
run mm-tokenize .
sh 'mm-inspect --dump hello.mmt | sed "s/bpe-[0-9a-f]*/bpe-000000000000/" | mm-inspect --pack | mm-render'
