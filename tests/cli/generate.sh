# mm-generate and mm-describe on a tiny bundle with random weights (mm-bundle init) and the
# default tokenizers: what is checked is the grammar, determinism and the state, not the
# (random) content.
ln -s "$TESTS/../../models/default" default  # its tokenizers
cat > tiny.json <<'JSON'
{"name": "tiny", "backbone": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 1024},
 "generation": {"image": {"grid": [24, 8], "top_k": 100, "cfg": 2.0}, "video": {"grid": [12, 4], "fps": 4},
  "text": {"max_tokens": 16}}}
JSON
sh 'mm-bundle init -q --seed 1 --config tiny.json --tokenizers default tiny'
export MM_BUNDLE=$PWD/tiny
# one line per segment: modality, role, shape, codes, sample
segments() {
  mm-inspect --json "$1" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["segments"]:
    m = s["metadata"]
    grid = m.get("grid")
    shape = "%sx%s" % (grid["width"], grid["height"]) if grid else "-"
    if "frames" in m: shape += "x%d @ %g fps" % (m["frames"], m["fps"])
    if "samples" in m: shape = "%d samples" % m["samples"]
    print(s["modality"], s["role"] or "-", shape, s["tokens"], "codes", "sample %d" % m["sample"] if "sample" in m else "")'
}
# "rendered": the PNG has the size the segment's metadata says its grid covers
rendered() {  # rendered STREAM SEGMENT PNG
  mm-inspect --json "$1" | python3 -c '
import json, struct, sys
m = json.load(sys.stdin)["segments"][int(sys.argv[1])]["metadata"]
png = open(sys.argv[2], "rb").read()
w, h = struct.unpack(">II", png[16:24])
ok = png[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == (m["frame"]["width"], m["frame"]["height"])
print(sys.argv[2] + ":", "a PNG of the grid" if ok else "WRONG: %dx%d for %s" % (w, h, m["frame"]))' "$2" "$3"
}
export -f rendered
run mm-tokenize --role user --text "Draw a red circle above a blue square." -o prompt.mmt

# constrained decoding: every image is exactly its grid, and mm-render renders it
run mm-generate --image --seed 3 prompt.mmt -o image.mmt
segments image.mmt
sh 'mm-render image.mmt -o out/ && rendered image.mmt 1 out/0001.png'
sh 'for seed in 1 2 3; do mm-generate --image 6x2 --temperature 5 --top-k 0 --seed $seed --only-new prompt.mmt -o seed$seed.mmt && mm-render seed$seed.mmt -o seed$seed.png && rendered seed$seed.mmt 0 seed$seed.png; done'
# the same seed gives the same stream; another seed another image
sh 'mm-generate --image --seed 3 prompt.mmt | cmp - image.mmt && echo same'
sh 'mm-generate --image --seed 4 prompt.mmt | cmp -s - image.mmt || echo different'
# samples: sample i draws from seed + i, so sample 1 of seed 2 is the only sample of seed 3
sh 'mm-generate --image --seed 2 -n 3 --only-new prompt.mmt -o three.mmt'
segments three.mmt
codes() {  # codes of segment $2 of stream $1, on one line
  mm-inspect --dump "$1" | awk -v want="$2" '/^segment /{n++} /^tokens/ && n == want + 1 {sub(/^tokens /, ""); printf "%s ", $0} END {print ""}'
}
export -f codes
sh 'mm-generate --image --seed 3 --cfg 1 --only-new prompt.mmt -o one.mmt; mm-generate --image --seed 2 --cfg 1 -n 3 --only-new prompt.mmt -o three-plain.mmt'
sh '[ "$(codes three-plain.mmt 1)" = "$(codes one.mmt 0)" ] && [ "$(codes three-plain.mmt 0)" != "$(codes one.mmt 0)" ] && echo sample 1 of seed 2 = sample 0 of seed 3'
# --best-of: of the samples -n would draw, the one whose embedding (mm-encode --embeddings of
# each segment alone, without its role) is nearest the prompt's last segment's
sh 'mm-generate --image --seed 10 --best-of 4 --only-new -v prompt.mmt -o best.mmt 2>&1 | grep "similarity" > best.log; wc -l < best.log'
segments best.mmt
nearest() {  # nearest PROMPT SAMPLES...: the sample mm-encode puts nearest the prompt's last segment, then every
  # similarity; the samples are the segments of one file, or the last segment of each of several
  python3 - "$@" <<'PY'
import json, struct, subprocess, sys
def run(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout
def alone(path):  # each segment of a stream as a stream of its own, without its role
    out, seg = [], None
    for line in run(["mm-inspect", "--dump"], open(path, "rb").read()).decode().splitlines():
        if line.startswith("segment "):
            meta = json.loads(line[len("segment "):])
            meta.pop("role", None)
            seg = ["segment " + json.dumps(meta, separators=(",", ":"))]
        elif seg is not None:
            seg.append(line)
            if line == "segment-end":
                out.append(run(["mm-inspect", "--pack"], ("\n".join(["stream 1.0 level=3"] + seg + ["end", ""])).encode()))
                seg = None
    return out
def embedding(stream):
    for line in run(["mm-inspect", "--dump"], run(["mm-encode", "--embeddings"], stream)).decode().splitlines():
        f = line.split()
        if f[:2] == ["tensor", "embedding"]:
            return struct.unpack("<%df" % int(f[3]), bytes.fromhex(f[4]))
query = embedding(alone(sys.argv[1])[-1])
samples = alone(sys.argv[2]) if len(sys.argv) == 3 else [alone(path)[-1] for path in sys.argv[2:]]
scores = [sum(a * b for a, b in zip(query, embedding(s))) for s in samples]
print(max(range(len(scores)), key=lambda i: scores[i]), " ".join("%.4f" % x for x in scores))
PY
}
export -f nearest
sh 'mm-generate --image --seed 10 -n 4 --only-new prompt.mmt -o four.mmt && read n scores < <(nearest prompt.mmt four.mmt) && [ "$(codes best.mmt 0)" = "$(codes four.mmt $n)" ] && echo sample $n, the one mm-encode puts nearest the prompt && [ "$scores" = "$(grep -o "similarity [-0-9.]*" best.log | cut -d" " -f2 | paste -sd" ")" ] && echo and its similarities are the ones mm-encode gives, to 4 places'
# --judge TEXT: nearest that text instead
sh 'mm-tokenize --text "int main() { return 0; }" -o judge.mmt && mm-generate --image --seed 10 --best-of 4 --judge "int main() { return 0; }" --only-new prompt.mmt -o judged.mmt && read n scores < <(nearest judge.mmt four.mmt) && [ "$(codes judged.mmt 0)" = "$(codes four.mmt $n)" ] && echo sample $n, the one mm-encode puts nearest the text'
run mm-generate --image --judge "a red circle" prompt.mmt
run mm-generate --image --best-of 3 -n 2 prompt.mmt
sh 'printf "stream 1.0 level=3\nend\n" | mm-inspect --pack | mm-generate --image --best-of 2'
run mm-generate --code --temperature 0 --best-of 2 prompt.mmt
# what a sample is judged against passes over text: after an image and a question, the image
sh 'mm-generate --text --max-tokens 4 --temperature 1 --seed 24 --best-of 3 -p "What is it?" --only-new -v image.mmt -o told.mmt 2>&1 | grep -c similarity && mm-generate --text --max-tokens 4 --temperature 1 --seed 24 -n 3 -p "What is it?" --only-new image.mmt -o three-told.mmt && read n scores < <(nearest image.mmt three-told.mmt) && [ "$(codes told.mmt 0)" = "$(codes three-told.mmt $n)" ] && echo sample $n, the one mm-encode puts nearest the image'
# mm-describe --best-of: the answer nearest the image (not the question); answer i is the one
# --seed SEED+i gives alone, and --json lists every similarity, mm-encode's to 4 places
sh 'mm-describe --best-of 4 --seed 30 --temperature 1 --max-tokens 6 --json -p "What is it?" image.mmt > best.json && for i in 0 1 2 3; do mm-describe --seed $((30 + i)) --temperature 1 --max-tokens 6 -p "What is it?" image.mmt --conversation answer$i.mmt > /dev/null || exit 1; done && read n scores < <(nearest image.mmt answer0.mmt answer1.mmt answer2.mmt answer3.mmt) && python3 -c "
import json, sys
j = json.load(open(\"best.json\"))
n, scores = int(sys.argv[1]), sys.argv[2:]
print(\"answer\", j[\"best_of\"][\"sample\"], \"of\", len(j[\"best_of\"][\"similarities\"]), \"is mm-encode\x27s nearest:\", j[\"best_of\"][\"sample\"] == n, \"similarities to 4 places:\", [\"%.4f\" % x for x in j[\"best_of\"][\"similarities\"]] == scores)
" $n $scores && mm-describe --seed $((30 + n)) --temperature 1 --max-tokens 6 -p "What is it?" image.mmt --json | python3 -c "import json,sys; print(\"the same answer as --seed 30+\" + sys.argv[1] + \":\", json.load(sys.stdin)[\"answer\"] == json.load(open(\"best.json\"))[\"answer\"])" $n'
# its --save-state is the state mm-encode gives for the conversation it writes
sh 'mm-describe --best-of 3 --seed 1 --temperature 1 --max-tokens 6 image.mmt --save-state described.state --conversation described.mmt > /dev/null && mm-encode --state described-encoded.state described.mmt -o /dev/null && cmp described.state described-encoded.state && echo the state is the one mm-encode gives'
run mm-describe --best-of 3 --temperature 0 image.mmt
sh 'printf "stream 1.0 level=3\nend\n" | mm-inspect --pack | mm-describe --best-of 2 --temperature 1 -p "What is it?"'
# video frames, audio of a given length, text within --max-tokens
sh 'mm-generate --video 3 --seed 1 --only-new prompt.mmt -o video.mmt'
segments video.mmt
sh 'mm-render video.mmt -o clip.mp4 && ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 clip.mp4'
sh 'mm-generate --audio 0.5 --seed 1 --only-new prompt.mmt | mm-inspect --json | python3 -c "import json,sys; m=json.load(sys.stdin)[\"segments\"][0]; print(m[\"modality\"], m[\"tokens\"], \"codes for\", m[\"metadata\"][\"samples\"], \"samples\")"'
sh 'mm-generate --text --max-tokens 5 --seed 1 prompt.mmt | mm-inspect --json | python3 -c "import json,sys; s=json.load(sys.stdin)[\"segments\"]; print(len(s), s[1][\"role\"], s[1][\"tokens\"] <= 5)"'
# no turns in the input: the new segment has no role either
sh 'mm-tokenize --text "Once upon a time" | mm-generate --text --max-tokens 3 --seed 1 --only-new | mm-inspect --json | python3 -c "import json,sys; print(repr(json.load(sys.stdin)[\"segments\"][0][\"role\"]))"'
# --prompt: an instruction as a user turn after the stream, the same as a stream that holds
# it; written with the new segments, or left out with --only-new
sh 'mm-tokenize --role user --text "Make the circle green." -o instruction.mmt && mm-generate --image --seed 3 -p "Make the circle green." image.mmt -o edited.mmt && cat image.mmt instruction.mmt | mm-generate --image --seed 3 | cmp - edited.mmt && echo the same as the instruction in the stream'
segments edited.mmt
sh 'mm-generate --image --seed 3 --only-new -p "Make the circle green." image.mmt -o edit-only.mmt && [ "$(codes edit-only.mmt 0)" = "$(codes edited.mmt 3)" ] && echo --only-new: the image alone'
segments edit-only.mmt

# a state from mm-encode: the same ids as from scratch, with only the new ids prefilled
run mm-encode --state prompt.state prompt.mmt -o encoded.mmt
sh 'mm-generate --image --seed 3 --state prompt.state prompt.mmt | cmp - image.mmt && echo same with the state'
sh 'mm-generate --text --seed 5 --temperature 1 prompt.mmt > scratch.mmt; mm-generate --text --seed 5 --temperature 1 --state prompt.state prompt.mmt | cmp - scratch.mmt && echo same text with the state'
# the prompt is prefilled in the pieces a state holds, so the floats, and every draw, agree
sh 'for seed in 11 12 13; do mm-generate --image -n 2 --seed $seed prompt.mmt -o s$seed.mmt && mm-generate --image -n 2 --seed $seed --state prompt.state prompt.mmt | cmp - s$seed.mmt || echo seed $seed differs; done; echo checked'
sh 'mm-generate -v --image --seed 3 --state prompt.state prompt.mmt 2>&1 >/dev/null | sed -E "s/ in [0-9.]+ s([;:])/\\1/g; s/: [0-9.]+ ids\/s, [0-9.]+ ids per CPU second//"'
sh 'mm-generate -v --image --seed 3 prompt.mmt 2>&1 >/dev/null | sed -E "s/ in [0-9.]+ s([;:])/\\1/g; s/: [0-9.]+ ids\/s, [0-9.]+ ids per CPU second//"'

# multi-turn: each turn appends to the conversation; with the state a turn pays for its own ids.
# --save-state prefills the answer's turn again (it was decoded id by id, and one-row products
# round differently), so the state is the one mm-encode gives for the conversation, byte for
# byte, and a sampled next turn draws the same ids with the state as without it.
sh 'mm-describe prompt.mmt --seed 1 --temperature 1 --json --save-state t1.state --conversation t1.mmt | python3 -c "import json,sys; t=json.load(sys.stdin)[\"tokens\"]; print(t[\"prompt\"], t[\"cached\"], t[\"prefilled\"], t[\"answer\"], t[\"state_prefilled\"])"'
sh 'mm-encode --state t1-encoded.state t1.mmt -o t1-encoded.mmt && cmp t1.state t1-encoded.state && echo the state after the answer is the one mm-encode gives for the conversation'
# turn() NAME INPUT STATE QUESTION SEED: the turn with the state and without it, in files NAME.with.* and NAME.without.*
turn() {
  mm-describe "$2" -p "$4" --seed $5 --temperature 1 --json --state "$3" --save-state $1.with.state --conversation $1.with.mmt > $1.with.json &&
  mm-describe "$2" -p "$4" --seed $5 --temperature 1 --json --save-state $1.without.state --conversation $1.without.mmt > $1.without.json &&
  python3 - $1 <<'PY'
import json, sys
w, o = (json.load(open(sys.argv[1] + "." + k + ".json")) for k in ("with", "without"))
t = w["tokens"]
# its own ids: the question's and the answer's opening markers (<|begin_text|> follows the prompt)
ok = w["answer"] == o["answer"] and t["prefilled"] == t["prompt"] - t["cached"] + 1 and t["cached"] > 0 and o["tokens"]["cached"] == 0
print(sys.argv[1] + ":", "same answer, prefilled only its own ids" if ok else "DIFFERENT: %r %r %r" % (w, o, t))
PY
  cmp $1.with.state $1.without.state && cmp $1.with.mmt $1.without.mmt || echo "$1: the states or conversations differ"
}
export -f turn
sh 'for seed in 1 2 3 4 5 6; do turn t2-$seed t1.mmt t1.state "And then?" $seed; done'
sh 'python3 -c "import json; t, o = (json.load(open(\"t2-1.%s.json\" % k))[\"tokens\"] for k in (\"with\", \"without\")); print(\"with the state: %d ids, %d cached, %d prefilled (without: %d); %d prefilled again for the next state\" % (t[\"prompt\"], t[\"cached\"], t[\"prefilled\"], o[\"prefilled\"], t[\"state_prefilled\"]))"'
# a third turn from the second state likewise
sh 'for seed in 1 2 3; do turn t3-$seed t2-1.with.mmt t2-1.with.state "Last question." $seed; done'
sh 'cp t2-1.with.state t2.state && cp t2-1.with.mmt t2.mmt'
segments t2.mmt
sh 'mm-describe t1.mmt --seed 1 --state t2.state'
# the question may come first, as DESIGN's `... | mm-describe "what happens?"`; a lone
# argument that is a stream stays the input
sh 'mm-describe --seed 1 --max-tokens 8 -p "What is it?" prompt.mmt > p.txt; mm-describe --seed 1 --max-tokens 8 "What is it?" < prompt.mmt | cmp - p.txt && mm-describe --seed 1 --max-tokens 8 "What is it?" prompt.mmt | cmp - p.txt && echo the question as an argument'
run mm-describe "What is it?" prompt.mmt -p "Again?"

# errors: bad options, bundles, streams and states
run mm-generate --image --audio 1 prompt.mmt
run mm-generate --image 7x0 prompt.mmt
run mm-generate --image 65536x1 prompt.mmt
run mm-generate --top-p 0 prompt.mmt
run mm-generate --temperature -1 prompt.mmt
sh 'head -c 100 image.mmt | mm-generate --text'
sh 'mm-tokenize --text hello | mm-generate --text --state t1.state >/dev/null'
sh 'mm-generate --text --state missing.state prompt.mmt >/dev/null'
sh 'mm-tokenize --role user --text "Draw a blue square under a red circle, please." | mm-generate --text --state prompt.state >/dev/null'
sh 'mm-bundle init -q --seed 2 --config tiny.json --tokenizers default other && mm-generate --bundle other --text --state prompt.state prompt.mmt 2>&1 >/dev/null | sed -E "s/[0-9a-f]{16}/HASH/g"'
sh 'mkdir nolayout && python3 -c "import json; c=json.load(open(\"tiny/config.json\")); del c[\"layout\"]; json.dump(c, open(\"nolayout/config.json\",\"w\"))" && mm-generate --bundle nolayout prompt.mmt'
sh 'mkdir badlayout && python3 -c "import json; c=json.load(open(\"tiny/config.json\")); c[\"layout\"][\"markers\"][\"<|eos|>\"]=0; json.dump(c, open(\"badlayout/config.json\",\"w\"))" && mm-generate --bundle badlayout prompt.mmt'
sh 'mkdir badgen && cp tiny/* badgen/ && python3 -c "import json; c=json.load(open(\"tiny/config.json\")); c[\"generation\"][\"image\"][\"top_p\"]=3; json.dump(c, open(\"badgen/config.json\",\"w\"))" && mm-generate --bundle badgen --image prompt.mmt'
sh 'mkdir textonly && cp tiny/* textonly/ && python3 -c "import json; c=json.load(open(\"tiny/config.json\")); del c[\"layout\"][\"ranges\"][\"audio\"]; json.dump(c, open(\"textonly/config.json\",\"w\"))" && mm-generate --bundle textonly --audio 1 prompt.mmt'
sh 'printf "%s\n" "stream 1.0 level=3" "segment {\"modality\":\"image\",\"grid\":[2,2],\"tokenizer\":\"vq-big\",\"vocab_size\":99999}" "tokens 1 2 3 4" "segment-end" "end" | mm-inspect --pack | mm-generate --text'
sh 'printf "%s\n" "stream 1.0 level=3" "segment {\"modality\":\"image\",\"grid\":[2,2],\"tokenizer\":\"vq-small\",\"vocab_size\":16}" "tokens 1 2 3" "segment-end" "end" | mm-inspect --pack | mm-generate --text >/dev/null'
sh 'mkdir cut && cp tiny/config.json tiny/*.json tiny/*.bin cut/ 2>/dev/null; head -c 100000 tiny/model.safetensors > cut/model.safetensors; mm-generate --bundle cut --text prompt.mmt >/dev/null'
run mm-describe --prompt "what?" image.mmt --bundle /nonexistent
