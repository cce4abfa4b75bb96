# scripts/world-streams.py: an mm-world corpus as token streams, one per task, parts in order
world_streams() { python3 "$TESTS/../../scripts/world-streams.py" "$@"; }
export -f world_streams
export TESTS
mm-world --count 1 corpus
sh 'world_streams --dry-run --held-out --tasks code_image,edit_image corpus/manifest.jsonl out'
# held-out scenes are refused unless asked for
sh 'world_streams --dry-run corpus/manifest.jsonl out'
mm-world --split train --first 10000 --count 1 --tasks caption_image train
sh 'world_streams --dry-run train/manifest.jsonl out'
# parts of text and code through the default bundle's tokenizers
cat > talk.jsonl <<'JSON'
{"id":"t1.code_image","task":"code_image","turns":[{"user":[{"text":"write the drawing code"}],"assistant":{"code":"circle red small at 16 48\n"}}]}
{"id":"t2.answer_question","task":"answer_question","turns":[{"user":[{"text":"how many shapes are there?"}],"assistant":{"text":"one"}},{"user":[{"text":"what shape is the red object?"}],"assistant":{"text":"circle"}}]}
JSON
sh 'world_streams talk.jsonl streams'
sh 'ls streams; mm-inspect streams/t2.answer_question.mmt | sed "s/bpe-[0-9a-f]*/BPE/" | cut -c1-40'
sh 'mm-render streams/t1.code_image.mmt -o parts/ && cat parts/0001.txt'
sh 'echo "{broken" > bad.jsonl; world_streams bad.jsonl streams'
# scripts/world-corpus.py: every task as one member of a packed corpus, and with --pairs each
# caption_image task's image and caption as one member of two role-less segments
world_corpus() { python3 "$TESTS/../../scripts/world-corpus.py" --bundle "$TESTS/../../models/default" "$@"; }
export -f world_corpus
mm-world --split train --first 10000 --count 2 --tasks caption_image,answer_question -q pairs
sh 'world_corpus pairs/manifest.jsonl corpus.mmt --pairs pairs.mmt'
sh 'mm-inspect corpus.mmt | cut -c1-24; mm-inspect pairs.mmt | cut -c1-24'
# --pair-tasks: code_image's image and code make pairs too; other tasks make none
mm-world --split train --first 10000 --count 2 --tasks caption_image,code_image -q coded
sh 'world_corpus coded/manifest.jsonl /dev/null --pairs both.mmt --pair-tasks caption_image,code_image 2>&1 && mm-inspect --json both.mmt | python3 -c "import json,sys; print([s[\"modality\"] for s in json.load(sys.stdin)[\"segments\"]])"'
sh 'world_corpus coded/manifest.jsonl /dev/null --pairs none.mmt --pair-tasks answer_question'
# mm-world --twins: a scene's pair and its twins' make one member (here of six segments)
mm-world --split train --first 10000 --count 2 --tasks caption_image --twins placement,edit -q twins
sh 'world_corpus twins/manifest.jsonl /dev/null --pairs twins.mmt 2>&1 && mm-inspect twins.mmt | cut -c1-24'
# speech (espeak-ng) as one audio segment of the user's or the assistant's: 100 codes a second
mm-world --split train --first 10000 --count 1 --tasks transcribe_speech,speak_caption -q speech
sh 'world_corpus speech/manifest.jsonl speech.mmt && mm-inspect --json speech.mmt | python3 -c "
import json, sys
for s in json.load(sys.stdin)[\"segments\"]:
    m = s[\"metadata\"]
    check = [\"codes = 2 per 320 samples:\", s[\"tokens\"] == 2 * (m[\"samples\"] // 320)] if s[\"modality\"] == \"audio\" else []
    print(s[\"modality\"], s[\"role\"], *check)"'
