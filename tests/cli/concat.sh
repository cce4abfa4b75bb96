make_text_stream a.mmt
sh 'cat a.mmt a.mmt | mm-inspect --validate'
sh 'cat a.mmt a.mmt | mm-inspect | tail -1'
# a stream from another tokenizer cannot be appended
sh 'mm-inspect --dump a.mmt | sed "s/\"bytes\"/\"bpe-32k\"/" | mm-inspect --pack -o b.mmt'
sh 'cat a.mmt b.mmt | mm-inspect --validate'
