#!/usr/bin/env bash
# Reproduces the shipped default bundle (models/default) from scratch: mm-world writes the
# training scenes, scripts/world-corpus.py packs every task into one conversation stream,
# mm-bundle init draws the starting weights, mm-train trains them. Every seed and size is
# below. On this project's 2-core machine the run took about five and a half hours with
# two threads (the corpus 3 minutes and its pairs 1.5, phase 1 60 minutes, phase 2 44,
# phase 3 9, the edits' corpus 1, phase 4 90, the speech and refresher corpora 4, phase 5
# 63, their second corpora 4, phase 6 27, its third corpora and the twins 5, phase 7 34).
#
#   scripts/train-default.sh [BINDIR]           # train into $WORK/train .. $WORK/train7
#                                               # (WORK: default /tmp/mm-train-default)
#   INSTALL=1 scripts/train-default.sh [BINDIR] # then copy the result into models/default
#   FROM=DIR INSTALL=1 scripts/train-default.sh # only install DIR (a finished run, or its
#                                               # checkpoint/; FROM_PHASE1=DIR: its first
#                                               # phase's curve too)
#   ALIGN_VISUAL=128 COPIES=1 ...               # images at aligned positions, and copies of
#                                               # images mixed in (not the shipped model; below)
#   STEPS7=400 PAIRS7=code ...                  # a phase 7 that pairs images with their code
#                                               # too, instead of twins (not the shipped model;
#                                               # below)
#   IMAGE_VQ=FILE ...                           # image codebook to train with (default: the default
#                                               # bundle's, which WORLD_SCENES=3000
#                                               # scripts/fit-image-tokenizer.sh reproduces)
#
# The corpus's image ids are the codebook's codes, so a model is trained for one codebook:
# installing copies the bundle's codebook with its weights.
#
# The loss's softmax runs over the ids the corpus holds (mm-train --softmax seen): the world
# uses 2784 of the 40210 ids, and a softmax over all of them cost as much as a
# transformer body three times the size (measured with this script's corpus: 12 steps took
# 5.7 s at 128 wide with the full softmax, 3.0 s with the seen one, 8.4 s at 256 wide and
# 6 layers with the seen one).
#
# Numbers a faster machine would change: SCENES, STEPS, BATCH, THREADS, and DEVICE=cuda on a
# GPU host (DEVELOPERS.md).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
work=${WORK:-/tmp/mm-train-default}
image_vq=$(realpath "${IMAGE_VQ:-$here/models/default/image-vq.bin}")
align_visual=${ALIGN_VISUAL:-0}   # where images sit, and copying: below
copy_steps=${COPY_STEPS:-0}
mix_copies=${COPIES:-0}
case $mix_copies in 0|1) ;; *) echo "train-default.sh: COPIES is 0 or 1, not '$mix_copies'" >&2; exit 2 ;; esac
[ "$copy_steps" -gt 0 ] && mix_copies=1
pairs7=${PAIRS7:-twins}   # phase 7's pairs: below
case $pairs7 in code|twins) ;; *) echo "train-default.sh: PAIRS7 is code or twins, not '$pairs7'" >&2; exit 2 ;; esac

world_seed=1      # training scenes: seed 1 (seed 0, indices below 10000, is held out for evaluation)
scenes=${SCENES:-20000}  # each seen about once: every step has scenes it has never seen
image_size=64     # pixels; IMG's tokenizer at --levels 1 gives 8x8 codes per image or frame
levels=1
video_fps=1       # two frames a second apart: enough to see which way a shape moves
video_frames=2
tasks=caption_image,code_image,answer_question,draw_caption,draw_code,describe_motion
init_seed=7
train_seed=11
steps=${STEPS:-5500}     # phase 1's schedule
stop=${STOP:-$steps}     # a step to leave it at (a shorter run on the same schedule)
batch=${BATCH:-8}
context=320
threads=${THREADS:-2}
device=${DEVICE:-cpu}   # cuda on a GPU host (a CUDA libtorch build; DEVELOPERS.md)

install_bundle() {  # DIR [PHASE1_DIR]: the finished run, and the first phase's run when there were two
  local from=$1 phase1=${2:-} to=$here/models/default
  "$bin/mm-bundle" verify "$from"
  cp "$from/model.safetensors" "$to/model.safetensors.tmp" && mv "$to/model.safetensors.tmp" "$to/model.safetensors"
  cp "$from/image-vq.bin" "$to/image-vq.bin.tmp" && mv "$to/image-vq.bin.tmp" "$to/image-vq.bin"
  # Adds the trained bundle's backbone, layout and weights to the default config, keeping
  # its other entries (the tokenizers) as they are; generation defaults for this model.
  python3 - "$from/config.json" "$to/config.json" <<'PY'
import json, sys
trained = json.load(open(sys.argv[1]))
path = sys.argv[2]
config = json.load(open(path))
for key in ("backbone", "layout"):
    config[key] = trained[key]
config["weights"] = "model.safetensors"
# Greedy text; images at the grid it was trained on, sampled from the 20 likeliest codes
# (no guidance: it never saw a prompt dropped). Other keys of "generation" are kept.
generation = config.setdefault("generation", {})
for modality, settings in {
    "text": {"temperature": 0, "max_tokens": 48},
    "code": {"temperature": 0, "max_tokens": 64},
    "image": {"grid": [8, 8], "top_k": 20, "cfg": 1},
    "video": {"grid": [8, 8], "frames": 2, "fps": 1, "top_k": 20, "cfg": 1},
}.items():
    generation.setdefault(modality, {}).update(settings)
# Written as the file was: one line per top-level entry, or per entry of an object.
def entry(key, value, indent):
    return " " * indent + json.dumps(key) + ": " + json.dumps(value)
lines = []
for key, value in config.items():
    if isinstance(value, dict) and value:
        inner = ",\n".join(entry(k, v, 4) for k, v in value.items())
        lines.append("  " + json.dumps(key) + ": {\n" + inner + "\n  }")
    else:
        lines.append(entry(key, value, 2))
with open(path + ".tmp", "w") as f:
    f.write("{\n" + ",\n".join(lines) + "\n}\n")
import os
os.replace(path + ".tmp", path)
PY
  "$bin/mm-bundle" verify "$to"
  rm -f "$to"/training-loss-phase1.{csv,png} "$to/training-phase1.json"
  for f in loss.csv loss.png; do [ -f "$from/$f" ] && cp "$from/$f" "$to/training-$f"; done
  if [ -n "$phase1" ]; then
    for f in loss.csv loss.png; do [ -f "$phase1/$f" ] && cp "$phase1/$f" "$to/training-${f/./-phase1.}"; done
    [ -f "$phase1/training.json" ] && cp "$phase1/training.json" "$to/training-phase1.json"
  fi
  [ -f "$from/training.json" ] && cp "$from/training.json" "$to/training.json"
  echo "installed $from into $to"
}

if [ -n "${FROM:-}" ]; then
  install_bundle "$FROM" "${FROM_PHASE1:-}"
  exit 0
fi

# The tokenizers: the default bundle's (its config, vocabulary layout and files), with
# IMAGE_VQ's codebook if given; the corpora are tokenized with them and the model takes them.
mkdir -p "$work/config"
cp "$here"/models/default/{config.json,text-bpe.json,audio-env.bin} "$work/config/"
cp "$image_vq" "$work/config/image-vq.bin"
# The model: a small Llama (GQA, SwiGLU, tied head) over the default tokenizers' vocabulary;
# 15.0M parameters, 10.3M of them the embedding of ids the world never uses.
cat > "$work/model.json" <<'JSON'
{"name": "mm-default",
 "backbone": {"hidden_size": 256, "num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2,
              "intermediate_size": 768, "max_position_embeddings": 1024, "rope_theta": 10000, "tie_word_embeddings": true}}
JSON

# make_corpus OUT WORLD TASKS FIRST COUNT WORLD_THREADS [WORLD-CORPUS OPTION...]: the packed
# stream OUT of the TASKS of COUNT training scenes from index FIRST, which mm-world writes
# into the directory WORLD (with each scene's twins when $twins names their kinds); made
# once (the same every time), skipped when OUT exists.
make_corpus() {
  local out=$1 world=$2 tasks=$3 first=$4 count=$5 world_threads=$6
  shift 6
  [ -f "$out" ] && return 0
  echo "world: $count scenes of seed $world_seed from index $first ($tasks)" >&2
  rm -rf "$world"
  "$bin/mm-world" --split train --seed $world_seed --first "$first" --count "$count" --size $image_size \
    --tasks "$tasks" --threads "$world_threads" ${twins:+--twins "$twins"} -q "$world"
  python3 "$here/scripts/world-corpus.py" --bindir "$bin" --bundle "$work/config" --size $image_size \
    --levels $levels --fps $video_fps --max-frames $video_frames --tasks "$tasks" "$world/manifest.jsonl" \
    "$out.tmp" "$@"
  mv "$out.tmp" "$out"
}
# One thread for the scenes with videos: with more, x264 may write an MP4 a few bytes apart.
make_corpus "$work/corpus.mmt" "$work/world" $tasks 0 "$scenes" 1 --pairs "$work/pairs.mmt"

rm -rf "$work/start"
# The image codes' embeddings start from their codebook patches (mm-bundle init
# --embed-codebook): measured on this corpus, the loss over steps 501-600 was 0.75 against
# 0.87 from noise (the same seeds); on 20 held-out scenes the exact captions and code scored
# 0.20 and 0.25 at step 4000, where from noise they had scored 0.00 at steps 1000 and 3100.
"$bin/mm-bundle" init -q --config "$work/model.json" --tokenizers "$work/config" --seed $init_seed --embed-codebook \
  "$work/start"

# train_phase OUT FROM STREAM... OPTION...: one phase of mm-train over the streams, from
# bundle FROM into OUT, with the settings every phase shares (rows of $context ids, $batch
# of them a step, unless the caller sets these); resumed from OUT's checkpoint when an
# earlier run was interrupted.
train_phase() {
  local out=$1 from=$2 resume=()
  shift 2
  [ -f "$out/checkpoint/train-state.json" ] && resume=(--resume "$out/checkpoint")
  "$bin/mm-train" --bundle "$from" --example member -o "$out" "${resume[@]}" --batch "$batch" --context $context \
    --weight-decay 0.1 --clip 1.0 --softmax seen --checkpoint-every 50 --threads "$threads" --device "$device" -v \
    --log-every 10 "$@"
}

# Where images sit, and copying: all off for the shipped model. ALIGN_VISUAL=128 starts
# every image and video at a rotary position that is a multiple of 128 from the first phase
# on (mm-train --align-visual; the bundles carry it). COPIES=1 mixes "copy the image"
# (mm-world's copy_image, on the corpus's own scenes) into phases 1 and 4. COPY_STEPS=N
# (which implies COPIES=1) also trains N steps on the copies alone from the drawn weights
# first (phase 0, $work/train0), as scripts/copy-probe.sh did at a small size; at this size
# it made phase 1 read images worse (held-out caption and code loss at step 2350: 0.659
# nats against 0.578 without it) and copy no better by then (docs/training.md).
# scripts/copy-probe.sh found aligned places and copies needed for edits; fine-tuning the
# shipped model with them did not teach it edits.
placing=() copies=() phase1_from=$work/start
[ "$align_visual" -gt 0 ] && placing=(--align-visual "$align_visual")
if [ "$mix_copies" = 1 ]; then
  make_corpus "$work/copies.mmt" "$work/copies" copy_image 0 "$scenes" "$threads"
  copies=("$work/copies.mmt")
fi
if [ "$copy_steps" -gt 0 ]; then
  train_phase "$work/train0" "$work/start" "$work/copies.mmt" --steps "$copy_steps" --lr 2e-3 --min-lr 1e-4 \
    --warmup 50 --seed 10 "${placing[@]}"
  phase1_from=$work/train0
fi

# Phase 1: next-id prediction on the whole schedule; skipped when finished.
stop_after=$(( stop < steps ? stop : steps ))
if ! grep -qs "\"trained_steps\": $stop_after," "$work/train/training.json"; then
  train_phase "$work/train" "$phase1_from" "$work/corpus.mmt" "${copies[@]}" --steps "$steps" --lr 2e-3 \
    --min-lr 1e-4 --warmup 100 --stop-after "$stop_after" --seed $train_seed "${placing[@]}"
fi
# Phase 2: the same corpus in a new order (seed 12) at a lower rate, with the contrastive
# loss on each training scene's image and caption (mm-train --pairs), so that
# mm-encode --embeddings puts a caption near its image; written to $work/train2 in bf16
# (the model scored the same in bf16 as in float32 on 50 held-out scenes, in half the
# bytes).
steps2=${STEPS2:-1800}
final=$work/train
if [ "$steps2" -gt 0 ]; then
  train_phase "$work/train2" "$work/train" "$work/corpus.mmt" --steps "$steps2" --lr 8e-4 --min-lr 4e-5 --warmup 20 \
    --pairs "$work/pairs.mmt" --pair-batch 32 --seed 12 --dtype bf16
  final=$work/train2
fi
# Phase 3: next-id prediction alone again, at a low rate (seed 13), from phase 2's bf16
# bundle, written to $work/train3 in bf16. Measured on 50 held-out scenes against phase 2:
# captions 0.42 (0.36), code 0.56 (0.48), retrieval kept (0.99).
steps3=${STEPS3:-900}
if [ "$steps2" -gt 0 ] && [ "$steps3" -gt 0 ]; then
  train_phase "$work/train3" "$work/train2" "$work/corpus.mmt" --steps "$steps3" --lr 2e-4 --min-lr 2e-5 --warmup 20 \
    --seed 13 --dtype bf16
  final=$work/train3
fi
# Phase 4: two-turn edits (an image, "make the circle green", the edited image, a second
# instruction, its image) from 20000 more training scenes (seed 1, indices 20000 on), mixed
# with the whole corpus again so the other tasks are not forgotten, and the pair loss on 16
# pairs a step so captions stay near their images; from phase 3's bundle, at a rate between
# phase 2's and 3's (seed 14), written to $work/train4 in bf16, with zeros in the embedding
# rows of the 37400 ids the world never uses (mm-train --zero-unseen: they were never
# trained, and zeros compress: 10.6 MB gzipped against 23.7 MB).
# Measured on 50 held-out scenes against phase 3: captions 0.46 (0.42), code 0.70 (0.56),
# answers 0.82 (0.74), motions 0.46 (0.30), retrieval 1.00 (0.99); edits 0 (never right
# in both turns; 3 first turns of 50).
steps4=${STEPS4:-5000}
edit_scenes=${EDIT_SCENES:-20000}
if [ "$final" = "$work/train3" ] && [ "$steps4" -gt 0 ]; then
  make_corpus "$work/edits.mmt" "$work/edits" edit_image "$scenes" "$edit_scenes" "$threads"
  train_phase "$work/train4" "$work/train3" "$work/edits.mmt" "$work/corpus.mmt" "${copies[@]}" --steps "$steps4" \
    --lr 4e-4 --min-lr 2e-5 --warmup 50 --pairs "$work/pairs.mmt" --pair-batch 16 --seed 14 --dtype bf16 --zero-unseen
  final=$work/train4
fi
# speech_phase OUT FROM SUFFIX SPEECH_FIRST REFRESH_FIRST OPTION...: the captions of
# $speech_scenes new scenes (from index SPEECH_FIRST) spoken by espeak-ng, to transcribe,
# mixed with every other task on $refresh_scenes more new scenes (from REFRESH_FIRST; about
# half the ids) so the rest is not forgotten, with the pair loss on 16 pairs a step. Speech
# is 100 audio codes a second and the captions last up to 9.1 s, so rows are 1024 ids (the
# config's 1024 positions; phases 1-4 never used more than 320 of them).
speech_phase() {
  local out=$1 from=$2 suffix=$3 speech_first=$4 refresh_first=$5
  shift 5
  make_corpus "$work/speech$suffix.mmt" "$work/speech$suffix" transcribe_speech "$speech_first" \
    "$speech_scenes" "$threads"
  make_corpus "$work/refresh$suffix.mmt" "$work/refresh$suffix" $tasks,edit_image "$refresh_first" "$refresh_scenes" 1
  batch=4 context=1024 train_phase "$out" "$from" "$work/speech$suffix.mmt" "$work/refresh$suffix.mmt" \
    --pairs "${phase_pairs:-$work/pairs.mmt}" --pair-batch "${pair_batch:-16}" --min-lr 2e-5 --dtype bf16 \
    --zero-unseen "$@"
}
speech_scenes=${SPEECH_SCENES:-6000}
refresh_scenes=${REFRESH_SCENES:-3000}
# Phase 5: speech from index 60000, the other tasks from 66000; 1500 steps from phase 4 at
# phase 4's rate (seed 15). Measured on 50 held-out scenes against phase 4: speech 0.894
# word accuracy (28 word for word), captions 0.42 (0.46), code 0.72 (0.70), answers 0.82
# (0.82), motions 0.50 (0.46), drawings from code 0.04 (0.02), retrieval 1.00 both ways.
steps5=${STEPS5:-1500}
if [ "$final" = "$work/train4" ] && [ "$steps5" -gt 0 ]; then
  speech_phase "$work/train5" "$work/train4" "" 60000 66000 --steps "$steps5" --lr 4e-4 --warmup 50 --seed 15
  final=$work/train5
fi
# Phase 6: the same mix on new scenes (speech from 69000, the rest from 75000), 600 steps
# at half the rate (seed 16): phase 5's speech was still rising at its end. The shipped
# bundle. Against phase 5: speech 0.926 (36 of 50 word for word), captions 0.42, code 0.66
# (0.72), answers 0.84 (0.82), motions 0.46 (0.50), retrieval 0.99 both ways (1.00).
steps6=${STEPS6:-600}
if [ "$final" = "$work/train5" ] && [ "$steps6" -gt 0 ]; then
  speech_phase "$work/train6" "$work/train5" 2 69000 75000 --steps "$steps6" --lr 2e-4 --warmup 20 --seed 16
  final=$work/train6
fi
# Phase 7: the same mix on new scenes (speech from 81000, the rest from 87000), 800 steps
# at phase 6's rate (seed 17), with the pair loss over each refresher scene's image and
# caption grouped with its two twins' (mm-world --twins placement,edit: the same objects
# trading places, and the scene after its first edit; 18 pairs a step, 6 scenes and their
# twins): the other scenes of a step differ from a scene in which objects it holds, so
# phases 2-6 taught the space which objects a picture holds but not where. The shipped
# bundle. Against phase 6 on 200 held-out scenes (mm-score --against): drawings from code
# 0.100 (0.045; 15 better, 4 worse, p 0.02), speech 0.950 (0.931; p 0.01), and within
# chance captions 0.420 (0.425), code 0.695 (0.715), answers 0.810 (0.825), motions 0.435
# (0.420), drawings from captions 0.015 (0.030); of 50 held-out scenes, an image is nearer
# its own caption than its placement twin's for 48 (37), a caption nearer its own image for
# 48 (35).
# PAIRS7=code pairs each image with its code as well as its caption instead (world-corpus.py
# --pair-tasks; 16 pairs a step), so that code judges drawings (mm-generate --best-of); at
# 400 steps, against phase 6 on 50 held-out scenes: drawings as the best of 8, from captions
# 0.22 (0.16) and from code 0.20 (0.10); greedy, captions 0.44 (0.42), code 0.58 (0.66),
# answers 0.76 (0.84), speech 0.941 (0.926), motions 0.46; none beyond chance scene by scene
# (the likeliest, code drawings 6 better and 1 worse, p 0.125), so not shipped.
steps7=${STEPS7:-800}
if [ "$final" = "$work/train6" ] && [ "$steps7" -gt 0 ]; then
  make_corpus "$work/refresh7.mmt" "$work/refresh7" $tasks,edit_image 87000 "$refresh_scenes" 1 \
    --pairs "$work/pairs7.mmt" --pair-tasks caption_image,code_image
  case $pairs7 in
    code) phase_pairs=$work/pairs7.mmt pair_batch=16 ;;
    twins)
      twins=placement,edit make_corpus "$work/twins7.mmt" "$work/twins7" caption_image 87000 "$refresh_scenes" 1 \
        --pairs "$work/pairs7-twins.mmt"
      phase_pairs=$work/pairs7-twins.mmt pair_batch=18 ;;
  esac
  speech_phase "$work/train7" "$work/train6" 7 81000 87000 --steps "$steps7" --lr 2e-4 --warmup 20 --seed 17
  final=$work/train7
fi
[ -n "${INSTALL:-}" ] && install_bundle "$final" "$([ "$final" != "$work/train" ] && echo "$work/train")"
exit 0
