#!/usr/bin/env bash
# make demo: the deepest pipeline that exists today, on real files. Until the tokenizers
# land (mm-tokenize), real text enters as byte codes through the stream's text form:
#   real text -> text form -> mm-inspect --pack -> .mmt -> summary, validation, dump,
#   concatenation, and a cut-off copy that must be refused.
set -euo pipefail
bindir=$(realpath "${1:-build/bin}")
export PATH=$bindir:$PATH
out=${MM_DEMO_DIR:-out/demo}
mkdir -p "$out"
out=$(realpath "$out")

# Real text that every Debian system has: the GPL and the system's own os-release.
licence=/usr/share/common-licenses/GPL-3
release=/etc/os-release

# text_form FILE ROLE: one text segment of byte codes, 4096 codes per record
text_form() {
  printf 'segment {"modality":"text","role":"%s","source":"%s","tokenizer":"bytes","vocab_size":256}\n' "$2" "$1"
  od -An -v -tu1 -w4096 "$1" | sed 's/  */ /g; s/^/tokens/'
  echo segment-end
}

step() { printf '\n== %s\n' "$*"; }

step "pack two real texts into a stream: $out/texts.mmt"
{ echo "stream 1.0 level=3"; text_form "$licence" user; text_form "$release" assistant; echo end; } \
  | mm-inspect --pack -f -o "$out/texts.mmt"
mm-inspect "$out/texts.mmt"

step "validate it"
mm-inspect --validate "$out/texts.mmt"

step "the same as JSON (first segment)"
mm-inspect --json "$out/texts.mmt" | sed -n 3p | cut -c1-200

step "dump and re-pack: byte for byte the same"
mm-inspect --dump "$out/texts.mmt" > "$out/texts.txt"
mm-inspect --pack -f -o "$out/repacked.mmt" "$out/texts.txt"
cmp "$out/texts.mmt" "$out/repacked.mmt" && echo "identical: $(wc -c < "$out/texts.mmt") bytes"

step "the codes decode back to the original text"
sed -n '/"source":"\/usr\/share/,/segment-end/p' "$out/texts.txt" | grep '^tokens' | cut -d' ' -f2- | tr ' ' '\n' \
  | awk '{ printf "%c", $1 }' > "$out/GPL-3.roundtrip"
cmp "$licence" "$out/GPL-3.roundtrip" && echo "GPL-3: identical after tokens -> text"

step "concatenated streams read as one"
cat "$out/texts.mmt" "$out/texts.mmt" | mm-inspect --validate

step "a stream cut short is refused, with the byte offset"
head -c $(( $(wc -c < "$out/texts.mmt") - 100 )) "$out/texts.mmt" > "$out/cut.mmt"
if mm-inspect --validate "$out/cut.mmt"; then echo "demo: a cut stream was accepted" >&2; exit 1; fi

step "mm-tokenize | mm-render: real text and C source, byte for byte"
for f in /usr/share/common-licenses/GPL-3 /usr/include/stdio.h; do
  mm-tokenize "$f" -f -o "$out/$(basename "$f").mmt"
  mm-render "$out/$(basename "$f").mmt" | cmp - "$f" && echo "$f: $(wc -c <"$f") bytes -> $(mm-inspect --json "$out/$(basename "$f").mmt" | grep -o '"tokens":[0-9]*' | tail -1 | cut -d: -f2) codes -> identical"
done

step "mm-tokenize | mm-render: a real photo and a real video, back as PNG and MP4 (PSNR from ffmpeg)"
photo=/usr/share/doc/opencv-doc/examples/data/fruits.jpg
mm-tokenize "$photo" -f -o "$out/photo.mmt"
mm-render "$out/photo.mmt" -f -o "$out/photo.png"
ffmpeg -nostdin -loglevel error -y -i "$photo" -vf scale=256:240:flags=area "$out/photo-256.png"
echo "$photo -> $(mm-inspect --json "$out/photo.mmt" | grep -o '"tokens":[0-9]*' | tail -1 | cut -d: -f2) codes -> $out/photo.png," \
  "$(ffmpeg -nostdin -i "$out/photo-256.png" -i "$out/photo.png" -lavfi psnr -f null - 2>&1 | grep -o 'average:[0-9.]*' | cut -d: -f2) dB"
clip=/usr/share/doc/opencv-doc/examples/data/vtest.avi
mm-tokenize --duration 5 "$clip" -f -o "$out/clip.mmt"
mm-render "$out/clip.mmt" -f -o "$out/clip.mp4"
echo "$clip (5 s) -> $(mm-inspect "$out/clip.mmt" | tail -1 | cut -d';' -f1 | cut -d, -f3-) -> $out/clip.mp4, $(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$out/clip.mp4") frames"

step "mm-tokenize | mm-render: real speech, 100 codes a second, back at its rate and exact length"
speech=/usr/share/sounds/alsa/Front_Center.wav
mm-tokenize "$speech" -f -o "$out/speech.mmt"
mm-render "$out/speech.mmt" -f -o "$out/speech.wav"
echo "$speech: $(soxi -s "$speech") samples at $(soxi -r "$speech") Hz -> $(mm-inspect --json "$out/speech.mmt" | grep -o '"tokens":[0-9]*' | tail -1 | cut -d: -f2) codes -> $(soxi -s "$out/speech.wav") samples at $(soxi -r "$out/speech.wav") Hz"

step "generation on a tiny bundle with random weights (mm-bundle init): the grammar holds, the content is noise"
models=$(dirname "$0")/../models/default
cat > "$out/tiny.json" <<'JSON'
{"name": "demo-tiny", "backbone": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "intermediate_size": 128, "max_position_embeddings": 16384}}
JSON
rm -rf "$out/tiny"
mm-bundle init -q --seed 1 --config "$out/tiny.json" --tokenizers "$models" "$out/tiny"
mm-tokenize --role user --text "a red circle above a blue square" \
  | mm-generate --bundle "$out/tiny" --image 48x16 --seed 7 -f -o "$out/generated.mmt"
mm-inspect "$out/generated.mmt"
mm-render --bundle "$out/tiny" --segment 1 -f -o "$out/generated.png" "$out/generated.mmt" && ls -l "$out/generated.png"

step "a conversation: the second turn starts from the first turn's KV state"
mm-describe --bundle "$out/tiny" "$out/GPL-3.mmt" -p "What is this?" --max-tokens 12 --seed 1 \
  --save-state "$out/turn1.state" --conversation "$out/turn1.mmt" -f >/dev/null
mm-describe --bundle "$out/tiny" "$out/turn1.mmt" -p "Who may copy it?" --max-tokens 12 --seed 1 --json \
  --state "$out/turn1.state" \
  | python3 -c 'import json, sys; t = json.load(sys.stdin)["tokens"]; print("turn 2: %d ids in the conversation, %d from the state, %d prefilled, %d answered" % (t["prompt"], t["cached"], t["prefilled"], t["answer"]))'

step "the default model (models/default, trained by scripts/train-default.sh) on a held-out scene"
default_bundle=$(dirname "$(realpath "$0")")/../models/default
if [[ -f $default_bundle/model.safetensors ]]; then
  # Four held-out scenes (seed 0 is never trained on), each task's user turn as the model
  # saw them in training (images and video frames at 64x64, one code level). The pictures
  # and answers go to $out/gallery, with gallery.md, the table README.md shows (docs/demo/).
  first=3 count=4
  mm-world --split eval --first $first --count $count --size 64 -q -f "$out/world"
  python3 "$(dirname "$(realpath "$0")")/world-corpus.py" --held-out --prompts \
    --tasks caption_image,code_image,draw_caption,describe_motion,answer_question,transcribe_speech,edit_image \
    "$out/world/manifest.jsonl" "$out/prompts"
  mkdir -p "$out/gallery"
  user_text() {  # the user's words of one task of one scene, in turn $3 (default the first)
    python3 -c 'import json,sys
for t in map(json.loads, open(sys.argv[1])):
    if t["id"].startswith(sys.argv[2] + ".") and t["task"] == sys.argv[3]:
        print(" ".join(p["text"] for p in t["turns"][int(sys.argv[4])]["user"] if "text" in p))' \
      "$out/world/manifest.jsonl" "$1" "$2" "${3:-0}"
  }
  cell() { printf '%s' "$1" | sed 's/|/\\|/g'; }
  {
    echo "| the scene (held out) | its caption, drawn by the model (the best of 8 by its own judge) | the model's caption of the scene | the model's code for it, drawn by mm-draw | what moves, from its video | a question, answered | its caption spoken (espeak-ng), transcribed |"
    echo "|---|---|---|---|---|---|---|"
  } > "$out/gallery/gallery.md"
  for ((i = first; i < first + count; ++i)); do
    scene=$(printf 's0-%06d' $i)
    cp "$out/world/$scene/image.png" "$out/gallery/$scene-scene.png"
    caption=$(user_text "$scene" draw_caption)
    caption=${caption#draw }
    # the best of 8 drawings, as the model itself judges them against the caption
    mm-generate --image 8x8 --seed 1 --best-of 8 --judge "$caption" --only-new "$out/prompts/$scene.draw_caption.mmt" |
      mm-render -f -o "$out/gallery/$scene-drawn.png"
    # the drawing, through its pixels, back to the model as the user's picture
    back=$(mm-tokenize --role user --size 64 --levels 1 "$out/gallery/$scene-drawn.png" | mm-describe "describe the image")
    said=$(mm-describe "$out/prompts/$scene.caption_image.mmt")
    code=$(mm-generate --code --only-new "$out/prompts/$scene.code_image.mmt" | mm-render)
    code_line=$(printf '%s' "$code" | tr '\n' ';')
    printf "%s\n" "$code" | mm-draw -f -o "$out/gallery/$scene-code.png" 2>/dev/null || rm -f "$out/gallery/$scene-code.png"
    motion=$(mm-describe "$out/prompts/$scene.describe_motion.mmt")
    question=$(user_text "$scene" answer_question)
    answer=$(mm-describe "$out/prompts/$scene.answer_question.mmt")
    heard=$(mm-describe "$out/prompts/$scene.transcribe_speech.mmt")
    echo "$scene: \"$caption\" -> $out/gallery/$scene-drawn.png"
    echo "  the drawing described back: $back"
    echo "  its image described: $said"
    echo "  its image as code: $code_line"
    echo "  its video, what moves: $motion"
    echo "  $question $answer"
    echo "  its caption spoken, transcribed: $heard"
    code_cell="<img src=\"$scene-code.png\" width=\"128\"><br>\`$(cell "$code_line")\`"
    [[ -f $out/gallery/$scene-code.png ]] || code_cell="(not valid code) \`$(cell "$code_line")\`"
    echo "| <img src=\"$scene-scene.png\" width=\"128\"> | <img src=\"$scene-drawn.png\" width=\"128\"><br>$(cell "$caption")<br>described back: *$(cell "$back")* | $(cell "$said") | $code_cell | $(cell "$motion") | $(cell "$question") **$(cell "$answer")** | $(cell "$heard") |" >> "$out/gallery/gallery.md"
  done
  # Two-turn edits: the scene and an instruction, then a second instruction after the
  # model's own first edit (mm-generate --prompt adds each as a user turn).
  {
    echo
    echo "| the scene (held out) | first instruction | the model's edit | second instruction | the model's second edit |"
    echo "|---|---|---|---|---|"
  } >> "$out/gallery/gallery.md"
  for ((i = first; i < first + count; ++i)); do
    scene=$(printf 's0-%06d' $i)
    first_instruction=$(user_text "$scene" edit_image 0) second_instruction=$(user_text "$scene" edit_image 1)
    mm-generate --image 8x8 --seed 1 "$out/prompts/$scene.edit_image.mmt" -f -o "$out/$scene-edit-1.mmt"
    mm-render --segment 2 -f -o "$out/gallery/$scene-edit-1.png" "$out/$scene-edit-1.mmt"
    mm-generate --image 8x8 --seed 1 -p "$second_instruction" --only-new "$out/$scene-edit-1.mmt" |
      mm-render -f -o "$out/gallery/$scene-edit-2.png"
    echo "$scene: \"$first_instruction\" -> $out/gallery/$scene-edit-1.png, then \"$second_instruction\" -> $out/gallery/$scene-edit-2.png"
    echo "| <img src=\"$scene-scene.png\" width=\"128\"> | $(cell "$first_instruction") | <img src=\"$scene-edit-1.png\" width=\"128\"> | $(cell "$second_instruction") | <img src=\"$scene-edit-2.png\" width=\"128\"> |" >> "$out/gallery/gallery.md"
  done
  echo "pictures and the tables: $out/gallery (gallery.md)"
else
  echo "models/default has no trained weights (scripts/train-default.sh makes them)"
fi

step "done: files are in $out"
ls -l "$out"

