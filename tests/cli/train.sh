# mm-train: a tiny run lowers the loss, resumes exactly, writes a bundle that verifies, and
# refuses bad input clearly. A micro backbone (1M parameters, mostly the text embeddings)
# on twelve two-turn conversations; one thread, so that every run is bit-for-bit the same.
cp "$TESTS/../../models/default/text-bpe.json" .
cat > micro.json <<'JSON'
{"name": "micro", "backbone": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
 "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128, "tie_word_embeddings": true},
 "tokenizers": {"text": {"type": "bpe", "file": "text-bpe.json"}}}
JSON
mm-bundle init -q --config micro.json --seed 1 start
# Each conversation is one member (a user question, the assistant's answer) of one stream,
# and also a file of its own whose turns are members written one after the other.
mkdir conversations
for colour in red green blue yellow; do
  for shape in circle square triangle; do
    mm-tokenize -f --role user --text "what colour is the $shape" -o u.mmt
    mm-tokenize -f --role assistant --text "the $shape is $colour" -o a.mmt
    cat u.mmt a.mmt > conversations/$colour-$shape.mmt
    { mm-inspect --dump u.mmt | sed '$d'; mm-inspect --dump a.mmt | sed 1d; } >> packed.txt
  done
done
mm-inspect --pack packed.txt -o packed.mmt
train='mm-train --bundle start --steps 40 --batch 4 --context 64 --lr 1e-2 --min-lr 1e-3 --warmup 5 --seed 3 --threads 1'
sh "$train --example member -q -o run packed.mmt && ls run run/checkpoint"
# The loss must fall clearly: the mean of the last 5 steps below half of the first 5 (a
# broken optimizer, or one stepping the wrong way, stays near ln(32018) = 10.4).
sh "python3 -c \"
import csv
rows = list(csv.DictReader(open('run/loss.csv')))
loss = [float(r['loss']) for r in rows]
first, last = sum(loss[:5]) / 5, sum(loss[-5:]) / 5
print(len(rows), 'steps; first loss above 9:', first > 9, '; fell below half:', last < first / 2, '; scored per step:', rows[0]['scored'])\""
sh 'file run/loss.png | sed "s/,[^,]*interlace.*//"'
run mm-bundle verify run
sh 'python3 -c "import json; j = json.load(open(\"run/training.json\")); print(j[\"trained_steps\"], j[\"examples\"], j[\"parameters\"], j[\"softmax\"])"'
# the same conversations as files give the same examples (one step is enough to count them)
sh "$train --stop-after 1 --json -o byfile conversations | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j[\"examples\"], j[\"ids\"], j[\"scored\"])'"
sh "$train --stop-after 1 --json --example member -o once packed.mmt | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j[\"examples\"], j[\"ids\"], j[\"scored\"])'"
# --scored all scores the questions too
sh "$train --stop-after 1 --json --scored all --example member -o all packed.mmt | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"scored\"])'"
# interrupted at step 17, resumed from the checkpoint in another process: the same weights
# and curve as straight through
sh "$train --example member -q -o half --stop-after 17 packed.mmt && python3 -c 'import json; print(json.load(open(\"half/checkpoint/train-state.json\"))[\"step\"])'"
sh "$train --example member -q -o half --resume half/checkpoint packed.mmt"
sh 'cmp half/model.safetensors run/model.safetensors && echo same weights'
sh 'diff <(cut -d, -f1-6 half/loss.csv) <(cut -d, -f1-6 run/loss.csv) && echo same curve'
# a finished run's checkpoint resumes to no steps: its bundle again, here in bf16
sh "$train --example member -o again --resume run/checkpoint --dtype bf16 packed.mmt"
sh 'mm-bundle info again | grep -i -E "dtype|bf16" | head -2; mm-bundle verify -q again && echo verifies'
# a resume with other settings is refused
sh "$train --example member -q -o half --resume half/checkpoint --clip 0.5 packed.mmt"
# a --softmax seen run trains on the ids the streams hold
sh "$train --json --softmax seen --example member -o seen packed.mmt | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"softmax_ids\"])'"
# ... and its bundle names them as the only ids it produces: sampled at temperature 1 (where
# the 31950 ids it never saw would otherwise take most of the mass), every new id is one of them
sh 'python3 -c "import json; print(len(json.load(open(\"seen/config.json\"))[\"backbone\"][\"output_ids\"]), \"output ids\")"'
sh 'mm-tokenize --role user --text "what colour is the circle" | mm-generate --bundle seen --text --temperature 1 --seed 4 --max-tokens 40 --only-new | mm-inspect --dump | python3 -c "
import json, sys
allowed = set(json.load(open(\"seen/config.json\"))[\"backbone\"][\"output_ids\"])
ids = [int(t) + 18 for line in sys.stdin if line.startswith(\"tokens \") for t in line.split()[1:]]
print(len(ids) > 0, \"ids drawn, all of them output ids:\", all(i in allowed for i in ids))"'
# --zero-unseen: the same run's bundle again (no steps, from its checkpoint), with zeros in the
# rows of the ids the streams never hold, and only there; its answers are the same ids; the
# checkpoint keeps its rows, so a resume is unchanged. Without --softmax seen it is refused.
sh "$train --softmax seen --zero-unseen --example member -q -o zeroed --resume seen/checkpoint packed.mmt"
sh 'python3 -c "
import json, struct
def embedding(path):
    data = open(path, \"rb\").read()
    n = struct.unpack(\"<Q\", data[:8])[0]
    header = json.loads(data[8:8 + n])
    t = header[\"model.embed_tokens.weight\"]
    begin, end = t[\"data_offsets\"]
    raw = data[8 + n + begin:8 + n + end]
    width = t[\"shape\"][1]
    return [struct.unpack(\"<%df\" % width, raw[r * width * 4:(r + 1) * width * 4]) for r in range(t[\"shape\"][0])]
seen = set(json.load(open(\"seen/config.json\"))[\"backbone\"][\"output_ids\"])
zeroed, kept, point = embedding(\"zeroed/model.safetensors\"), embedding(\"zeroed/checkpoint/model.safetensors\"), embedding(\"seen/model.safetensors\")
print(\"unseen rows all zero:\", all(not any(zeroed[r]) for r in range(len(zeroed)) if r not in seen))
print(\"seen rows as trained:\", all(zeroed[r] == point[r] for r in seen))
print(\"checkpoint rows kept:\", kept == point)"'
sh 'mm-tokenize --role user --text "what colour is the circle" -o asked.mmt && mm-describe --bundle seen --max-tokens 8 asked.mmt > a.txt && mm-describe --bundle zeroed --max-tokens 8 asked.mmt | cmp - a.txt && echo the same answer'
sh "$train --zero-unseen --example member -q -o nope packed.mmt"
# a later seen-softmax phase on narrower data (one conversation) keeps the ids the starting
# bundle produces: its output ids are the old ones and the new data's, and no others
mm-tokenize -f --role user --text "what shape is purple" -o u.mmt
mm-tokenize -f --role assistant --text "none of them" -o a.mmt
sh "cat u.mmt a.mmt > narrow.mmt && mm-train --bundle seen --steps 2 --batch 1 --context 64 --softmax seen --threads 1 -q -o narrower narrow.mmt"
sh 'mm-inspect --dump narrow.mmt | python3 -c "
import json, sys
ids = lambda d: set(json.load(open(d + \"/config.json\"))[\"backbone\"][\"output_ids\"])
narrow = {int(t) + 18 for line in sys.stdin if line.startswith(\"tokens \") for t in line.split()[1:]}
print(len(ids(\"seen\")), \"before,\", len(narrow - ids(\"seen\")), \"new in the narrow data, after:\", len(ids(\"narrower\")))
print(\"the union:\", ids(\"narrower\") == ids(\"seen\") | narrow)"'
# --softmax data: the same output ids, but the starting bundle's ids that the narrow data lacks
# are not the loss's negatives, so their rows stay as they were (no weight decay here); with
# --softmax seen, Adam moves them
narrow_run='mm-train --bundle seen --steps 3 --batch 1 --context 64 --weight-decay 0 --threads 1 -q narrow.mmt'
sh "$narrow_run --softmax data -o narrow-data && $narrow_run --softmax seen -o narrow-seen"
sh 'mm-inspect --dump narrow.mmt | python3 -c "
import json, struct, sys
def rows(path):
    data = open(path + \"/model.safetensors\", \"rb\").read()
    n = struct.unpack(\"<Q\", data[:8])[0]
    t = json.loads(data[8:8 + n])[\"model.embed_tokens.weight\"]
    begin, end = t[\"data_offsets\"]
    width = t[\"shape\"][1] * 4
    return lambda r: data[8 + n + begin + r * width:8 + n + begin + (r + 1) * width]
ids = lambda d: set(json.load(open(d + \"/config.json\"))[\"backbone\"][\"output_ids\"])
narrow = {int(t) + 18 for line in sys.stdin if line.startswith(\"tokens \") for t in line.split()[1:]}
markers = set(json.load(open(\"seen/config.json\"))[\"layout\"][\"markers\"].values())  # the layout adds them
lacked = ids(\"seen\") - narrow - markers
before = rows(\"seen\")
for run in (\"narrow-data\", \"narrow-seen\"):
    after = rows(run)
    print(run, \"output ids as --softmax seen:\", ids(run) == ids(\"narrower\"), \"rows the data lacks unchanged:\",
          sum(before(r) == after(r) for r in lacked), \"of\", len(lacked))
summary = lambda run: json.load(open(run + \"/training.json\"))
print(\"--softmax %s over %d ids, seen over %d; the data holds %d text ids\" % (summary(\"narrow-data\")[\"softmax\"],
      summary(\"narrow-data\")[\"softmax_ids\"], summary(\"narrow-seen\")[\"softmax_ids\"], len(narrow)))"'

# --pairs: two views of one thing per member (here a colour-and-shape phrase and a numbered
# item, sharing no token, so that untrained embeddings match them by chance: 1 in 12); the
# contrastive loss falls, and mm-encode --embeddings of each view, pooled as mm-train pooled
# it, then finds the phrase's own item first among the twelve
number=0
for colour in red green blue yellow; do
  for shape in circle square triangle; do
    mm-tokenize -f --text "a $colour $shape" -o first-$colour-$shape.mmt
    mm-tokenize -f --text "item $((number += 7))" -o second-$colour-$shape.mmt
    { mm-inspect --dump first-$colour-$shape.mmt | sed '$d'; mm-inspect --dump second-$colour-$shape.mmt | sed 1d; } >> pairs.txt
  done
done
sh 'mm-inspect --pack pairs.txt -o pairs.mmt && mm-inspect --json pairs.mmt | python3 -c "import json,sys; j = json.load(sys.stdin); print(len(j[\"segments\"]), \"segments\")"'
sh "$train --example member -q -o paired --pairs pairs.mmt --pair-batch 6 packed.mmt"
sh "python3 -c \"
import csv
pair = [float(r['pair_loss']) for r in csv.DictReader(open('paired/loss.csv'))]
first, last = sum(pair[:5]) / 5, sum(pair[-5:]) / 5
print('pair loss (6 pairs a step: chance is ln 6 = 1.79) fell below a third:', last < first / 3, '; below 0.5:', last < 0.5)\""
sh 'for f in first-*.mmt; do for g in $f ${f/first/second}; do mm-encode --bundle paired --threads 1 --embeddings $g | mm-inspect --dump | grep "^tensor embedding"; done; done | python3 -c "
import struct, sys
rows = [struct.unpack(\"<%df\" % int(l.split()[3]), bytes.fromhex(l.split()[4])) for l in sys.stdin]
first, second = rows[0::2], rows[1::2]
hits = sum(max(range(len(second)), key=lambda j: sum(a * b for a, b in zip(q, second[j]))) == i for i, q in enumerate(first))
print(\"phrase finds its item first:\", hits, \"of\", len(first))"'
# A member of 2k segments is a group of k pairs trained in one step (mm-world --twins): with
# each group one pair given twice and two pairs a step, a step's two pairs are always the
# same, so the contrastive loss is ln 2 at every step, whatever the weights; odd counts are
# refused
for f in first-red-*.mmt; do
  { mm-inspect --dump $f | sed '$d'; mm-inspect --dump ${f/first/second} | sed '1d;$d'
    mm-inspect --dump $f | sed '1d;$d'; mm-inspect --dump ${f/first/second} | sed 1d; } >> twice.txt
done
mm-inspect --pack twice.txt -o twice.mmt
sh "$train --example member -q -o grouped --pairs twice.mmt --pair-batch 2 packed.mmt && python3 -c \"
import csv, math
pair = [float(r['pair_loss']) for r in csv.DictReader(open('grouped/loss.csv'))]
print(len(pair), 'steps, each pair loss ln 2:', all(abs(p - math.log(2)) < 1e-4 for p in pair))\""
{ mm-inspect --dump first-red-circle.mmt | sed '$d'; mm-inspect --dump second-red-circle.mmt | sed '1d;$d'
  mm-inspect --dump first-red-square.mmt | sed 1d; } | mm-inspect --pack -o three.mmt
run mm-train --bundle start -o out --pairs three.mmt packed.mmt
# --grid-places: row and column tables for the codes of images, added as zeros to a bundle
# without them. On conversations that copy an image they move off zero; the bundle verifies,
# resumes exactly, and draws an image; another size for a bundle that has them is refused.
cp "$TESTS/../../models/default/image-vq.bin" .
sed 's/"tokenizers": {/"tokenizers": {"image": {"type": "vq", "file": "image-vq.bin"}, /' micro.json > micro-image.json
mm-bundle init -q --config micro-image.json --seed 1 image-start
mkdir copies
for code in "circle red small at 16 48" "square blue large at 40 20" "triangle green small at 48 48"; do
  echo "$code" | mm-draw -f -o shape.png
  mm-tokenize -f --bundle image-start --size 32 --levels 1 --role user shape.png -o u.mmt
  mm-tokenize -f --role user --text "copy it" -o say.mmt
  mm-tokenize -f --bundle image-start --size 32 --levels 1 --role assistant shape.png -o a.mmt
  cat u.mmt say.mmt a.mmt > "copies/$code.mmt"
done
grid='mm-train --bundle image-start --steps 12 --batch 2 --context 64 --lr 1e-2 --min-lr 1e-3 --warmup 2 --seed 3 --threads 1 --softmax seen -q'
sh "$grid --grid-places 6 -o grid copies && mm-bundle verify -q grid && echo verifies"
sh 'python3 -c "
import json, struct
data = open(\"grid/model.safetensors\", \"rb\").read()
n = struct.unpack(\"<Q\", data[:8])[0]
header = json.loads(data[8:8 + n])
for name in (\"model.embed_grid_rows.weight\", \"model.embed_grid_columns.weight\"):
    begin, end = header[name][\"data_offsets\"]
    values = struct.unpack(\"<%df\" % ((end - begin) // 4), data[8 + n + begin:8 + n + end])
    print(name, header[name][\"shape\"], \"off zero in rows 0-3:\", all(any(values[r * 32:(r + 1) * 32]) for r in range(4)),
          \"; rows 4-5 (no 32-pixel image has them) zero:\", not any(values[4 * 32:]))
print(\"grid_place_embeddings\", json.load(open(\"grid/config.json\"))[\"backbone\"][\"grid_place_embeddings\"])"'
sh "$grid --grid-places 6 -o grid-half --stop-after 5 copies && $grid -o grid-half --resume grid-half/checkpoint copies"
sh 'cmp grid/model.safetensors grid-half/model.safetensors && echo same weights after the resume'
sh 'mm-generate --bundle grid --image 4x4 --temperature 0 --only-new u.mmt | mm-inspect --json | python3 -c "
import json, sys
s = json.load(sys.stdin)[\"segments\"][0]
print(s[\"modality\"], s[\"tokens\"], \"codes\")"'
sh "mm-train --bundle grid --grid-places 5 --steps 1 --context 64 --threads 1 -q -o nope copies"
# --align-visual: images start at rotary positions that are multiples of N; the key is
# written, the loss differs from the same run counted plainly (the positions reach the
# model), and the bundle draws
sh "$grid --align-visual 16 -o aligned copies && mm-bundle verify -q aligned && python3 -c 'import json; print(\"align_visual_positions\", json.load(open(\"aligned/config.json\"))[\"backbone\"][\"align_visual_positions\"])'"
sh "$grid -o counted copies && cmp -s aligned/loss.csv counted/loss.csv || echo the losses differ"
# --grid-rope: the key is written and the positions reach the model too
sh "$grid --grid-rope -o turned copies && mm-bundle verify -q turned && python3 -c 'import json; print(\"grid_rope\", json.load(open(\"turned/config.json\"))[\"backbone\"][\"grid_rope\"])' && { cmp -s turned/loss.csv counted/loss.csv || echo the losses differ; }"
sh 'mm-generate --bundle aligned --image 4x4 --temperature 0 --only-new u.mmt | mm-inspect --json | python3 -c "
import json, sys
s = json.load(sys.stdin)[\"segments\"][0]
print(s[\"modality\"], s[\"tokens\"], \"codes\")"'
# errors
mkdir empty
run mm-train --bundle start -o out empty
run mm-train --bundle start -o out
run mm-train -o out packed.mmt
sh 'printf "%s\n" "stream 1.0 level=3" "segment {\"modality\":\"text\",\"role\":\"user\",\"tokenizer\":\"bytes\",\"vocab_size\":256}" "tokens 104 105" "segment-end" "end" | mm-inspect --pack -o bytes.mmt'
sh 'mm-train --bundle start -o out bytes.mmt 2>&1 | sed "s/bpe-[0-9a-f]*/BPE/"'
sh 'mm-tokenize --role user --text "no answer here" -o question.mmt; mm-train --bundle start -o out question.mmt'
touch file
run mm-train --bundle start -o file/out packed.mmt
run mm-train --bundle start -o out --steps 0 packed.mmt
run mm-train --bundle start -o out --context 129 packed.mmt
run mm-train --bundle nowhere -o out packed.mmt
run mm-train --bundle start -o out --pairs conversations/red-circle.mmt packed.mmt
run mm-train --bundle start -o out --pairs pairs.mmt --pair-batch 13 packed.mmt
