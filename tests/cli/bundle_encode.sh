# mm-bundle makes, describes and checks bundles; mm-encode adds embeddings and saves state.
cp "$TESTS/../../models/default/text-bpe.json" .
cat > small.json <<'JSON'
{"name": "small", "backbone": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
 "num_key_value_heads": 2, "intermediate_size": 48, "max_position_embeddings": 256, "qk_norm": "rmsnorm"},
 "tokenizers": {"text": {"type": "bpe", "file": "text-bpe.json"}, "code": {"type": "bpe", "file": "text-bpe.json"}}}
JSON
run mm-bundle init --config small.json --seed 5 small
run mm-bundle verify small
sh 'mm-bundle info --json small | python3 -c "import json,sys; j=json.load(sys.stdin); print(j[\"parameters\"], j[\"backbone\"][\"vocab_size\"], j[\"layout\"][\"ranges\"])"'
# the same seed gives the same weights; sharded and bf16 bundles verify too
sh 'mm-bundle init -q --config small.json --seed 5 again && cmp small/model.safetensors again/model.safetensors && echo same weights'
run mm-bundle init -q --config small.json --shards 2 --dtype bf16 sharded
run mm-bundle verify -q sharded
sh 'ls sharded'
# damage: a flipped byte, a missing tensor, a config the weights do not fit
sh 'cp -r small broken && printf "\x01" | dd of=broken/model.safetensors bs=1 seek=4000 conv=notrunc 2>/dev/null; mm-bundle verify broken'
sh 'sed "s/\"intermediate_size\": 48/\"intermediate_size\": 64/" small/config.json > wide.json && mkdir wide && cp wide.json wide/config.json && cp small/model.safetensors wide/ && mm-bundle verify wide 2>&1 | sed "s/ in [^ ]*,/ in FILE,/"'
run mm-bundle verify nowhere
run mm-bundle init small2
# --tokenizers: another bundle's tokenizers, files and layout under a config that has only a backbone
sh 'grep -v tokenizers small.json | sed "s/\"qk_norm\": \"rmsnorm\"},/\"qk_norm\": \"rmsnorm\"}}/" > backbone.json && mm-bundle init -q --config backbone.json --tokenizers small --seed 5 taken && cmp small/model.safetensors taken/model.safetensors && ls taken && python3 -c "import json; a, b = (json.load(open(d + \"/config.json\")) for d in (\"small\", \"taken\")); print(\"same layout\" if a[\"layout\"] == b[\"layout\"] else \"OTHER LAYOUT\")"'
run mm-bundle init -q --config small.json --tokenizers small twice
run mm-bundle verify --tokenizers small small
run mm-bundle frobnicate small

# embeddings: one f32 tensor per segment, of unit length, the stream otherwise unchanged
mm-tokenize --bundle small --text "a red circle above a blue square" --text "int main() { return 0; }" -o in.mmt
run mm-encode --bundle small --embeddings in.mmt -o enc.mmt
sh 'mm-inspect enc.mmt | sed "s/bpe-[0-9a-f]*/BPE/"'
sh 'mm-inspect --dump enc.mmt | python3 -c "
import sys, struct, math
for line in sys.stdin:
    f = line.split()
    if f[0] == \"tensor\":
        v = struct.unpack(\"<%df\" % int(f[3]), bytes.fromhex(f[4]))
        print(f[1], len(v), \"norm %.6f\" % math.sqrt(sum(x * x for x in v)))"'
sh 'diff <(mm-inspect --dump in.mmt) <(mm-inspect --dump enc.mmt | grep -v "^tensor") && echo codes unchanged'
# deterministic, and a pipe gives what a file gives
sh 'mm-encode --bundle small --embeddings < in.mmt | cmp - enc.mmt && echo same'
# a second run replaces the embeddings instead of adding more
sh 'mm-encode --bundle small --embeddings enc.mmt | cmp - enc.mmt && echo replaced'
# the state: written, loadable by the same bundle, refused by another
sh 'mm-encode --bundle small --state s.kv in.mmt > /dev/null && ls s.kv'
run mm-model-probe --load-state small s.kv
# with embeddings the state is the same, byte for byte (the sequence is run whole for it)
sh 'mm-encode --bundle small --embeddings --state s2.kv in.mmt > /dev/null && cmp s.kv s2.kv && echo same state'
sh 'mm-model-probe --load-state sharded s.kv 2>&1 | sed "s/([0-9a-f]*, this is [0-9a-f]*)/(HASH, this is HASH)/"'
# errors
run mm-encode --bundle small in.mmt
sh 'mm-inspect --dump in.mmt | sed "s/\"modality\":\"text\"/\"modality\":\"image\",\"grid\":[7,1]/" | mm-inspect --pack | mm-encode --bundle small --embeddings > /dev/null'
run mm-encode --bundle small --embeddings --capacity 300 in.mmt
run mm-encode --bundle small --embeddings --capacity 10 in.mmt -o short.mmt
sh 'ls short.mmt 2>&1 | sed "s/.*: //"'
sh 'mkdir nolayout && mm-bundle init -q --config <(grep -v tokenizers small.json | sed "s/\"qk_norm\": \"rmsnorm\"},/\"qk_norm\": \"rmsnorm\", \"vocab_size\": 40000}}/") nolayout; mm-encode --bundle nolayout --embeddings in.mmt'
