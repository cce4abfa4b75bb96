# The shipped default model end to end, on two held-out scenes (seed 0, never trained on):
# its bundle verifies; scripts/eval-default.sh (what `make bench` runs) has it caption an
# image, write the image's code, answer a question, say what moves in a video and transcribe
# the caption spoken by espeak-ng, greedily, and mm-score grades every answer against the
# scene. The held-out accuracies over many scenes are `make bench`'s, not a test's.
ln -s "$TESTS/../../models/default" default
ln -s "$TESTS/../../scripts" scripts
run mm-bundle verify -q default
# (its stderr is left out: it holds the time the answers took)
sh 'WORK=eval FIRST=3 TASKS=caption_image,code_image,answer_question,describe_motion,transcribe_speech \
  scripts/eval-default.sh "$(dirname "$(command -v mm-describe)")" default 2 2>/dev/null'
sh 'for f in eval/answers/*; do printf "%s: %s\n" "${f#eval/answers/}" "$(tr "\n" ";" < "$f")"; done'
# the speech as a user would give it: a WAV file and the question, in one pipeline
sh 'mm-tokenize --bundle default --role user eval/world/s0-000003/speech.wav | mm-describe --bundle default "transcribe the speech"'
