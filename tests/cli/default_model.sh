# The shipped default model end to end, on two held-out scenes (seed 0, never trained on):
# its bundle verifies; it captions an image, writes the image's code, answers a question,
# says what moves in a video and transcribes the caption spoken by espeak-ng, greedily, as
# `make demo` runs it; mm-score grades every answer against the scene. The held-out
# accuracies over many scenes are `make bench`'s (scripts/eval-default.sh), not a test's.
ln -s "$TESTS/../../models/default" default
ln -s "$TESTS/../../scripts/world-corpus.py" world-corpus.py
tasks=caption_image,code_image,answer_question,describe_motion,transcribe_speech
run mm-bundle verify -q default
mm-world --split eval --first 3 --count 2 --size 64 --tasks $tasks -q world
sh "python3 world-corpus.py --bundle default --size 64 --levels 1 --fps 1 --max-frames 2 --tasks $tasks --held-out \
  --prompts world/manifest.jsonl prompts"
mkdir answers
python3 -c 'import json, sys
for t in map(json.loads, open("world/manifest.jsonl")):
    print(t["id"], t["task"], t["turns"][0]["output"])' world/manifest.jsonl > jobs
while read -r id task output; do
  case $task in
    code_image) mm-generate --bundle default --code --only-new "prompts/$id.mmt" | mm-render -o "answers/$output" ;;
    *) mm-describe --bundle default "prompts/$id.mmt" > "answers/$output" ;;
  esac
done < jobs
sh 'for f in answers/*; do printf "%s: %s\n" "${f#answers/}" "$(tr "\n" ";" < "$f")"; done'
sh "mm-score --tasks $tasks world/manifest.jsonl answers"
# the speech as a user would give it: a WAV file and the question, in one pipeline
sh 'mm-tokenize --bundle default --role user world/s0-000003/speech.wav | mm-describe --bundle default "transcribe the speech"'
