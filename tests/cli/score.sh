# mm-score: the corpus's own answers score 1; wrong answers and missing outputs do not
mm-world --count 12 corpus 2>&1
run mm-score --reference corpus/manifest.jsonl
# A classical solver answers from the prompts alone (perception, caption parsing, rendering)
run mm-world -v --solve corpus/manifest.jsonl solved
run mm-score corpus/manifest.jsonl solved
# A model's outputs: the reference answers, with a swapped colour in one caption, another
# scene's image for one drawing, a wrong answer, and a transcript with one word wrong.
sh 'python3 - <<"PY"
import json, os, shutil
os.makedirs("out", exist_ok=True)
for line in open("corpus/manifest.jsonl"):
    task = json.loads(line)
    for turn in task["turns"]:
        answer, out = turn["assistant"], "out/" + turn["output"]
        if "text" in answer or "code" in answer:
            text = answer.get("text", answer.get("code"))
            if task["id"] == "s0-000001.caption_image": text = text.replace("blue", "BLUE").replace("purple", "blue").replace("BLUE", "purple")
            if task["id"] == "s0-000002.answer_question": text = "seven"
            if task["id"] == "s0-000003.transcribe_speech": text = text.replace("triangle", "tangle")
            open(out, "w").write(text)
        else:
            source = "corpus/" + list(answer.values())[0]
            if task["id"] == "s0-000004.draw_caption": source = "corpus/s0-000005/image.png"
            if task["id"] == "s0-000006.edit_image" and out.endswith(".2.png"): continue
            shutil.copy(source, out)
PY'
run mm-score -v corpus/manifest.jsonl out
sh 'mm-score --json corpus/manifest.jsonl out | python3 -c "import json,sys; j=json.load(sys.stdin); print(j[\"tasks\"][\"caption_image\"], j[\"tasks\"][\"speak_caption\"]); print(len(j[\"failures\"]), \"failures\")"'
run mm-score --tasks draw_code,edit_image corpus/manifest.jsonl out
sh 'mkdir empty; mm-score --tasks caption_image corpus/manifest.jsonl empty'
# a runaway answer is shown cut after 200 characters, and marked so
sh 'mkdir long && python3 -c "print(\"the \" * 120)" > long/s0-000002.answer_question.txt && mm-score -v --tasks answer_question corpus/manifest.jsonl long | grep "s0-000002" | python3 -c "import sys; l = sys.stdin.read(); print(len(l.split(chr(34))[1]), l[-20:], end=\"\")"'
# two runs task by task: the solver against the faulty outputs (better where out is wrong,
# worse on speech, which the solver does not answer), and the JSON's numbers for one task
run mm-score --against out --tasks caption_image,transcribe_speech,answer_question,edit_image corpus/manifest.jsonl solved
sh 'mm-score --json --against empty corpus/manifest.jsonl out | python3 -c "import json,sys; j=json.load(sys.stdin); print(j[\"against\"], j[\"tasks\"][\"caption_image\"][\"against\"])"'
# refusals
run mm-score corpus/manifest.jsonl
run mm-score --reference corpus/manifest.jsonl out
run mm-score nothing.jsonl out
sh 'echo "{not json" > bad.jsonl; mm-score bad.jsonl out'
run mm-score --tasks draw_code,nonsense corpus/manifest.jsonl out
