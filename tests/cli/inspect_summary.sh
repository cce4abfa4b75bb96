make_text_stream s.mmt
run mm-inspect s.mmt
run mm-inspect -v s.mmt
run mm-inspect --json s.mmt
sh 'mm-inspect - < s.mmt | tail -1'
sh 'cat s.mmt | mm-inspect --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"stream\"][\"tokens\"], [s[\"modality\"] for s in d[\"segments\"]])"'
