# mm-world: scenes from a seed, the same bytes every time, the held-out split guarded
run mm-world --describe --count 3
run mm-world --describe --seed 3 --first 5 --count 1
run mm-world --count 4 one
run mm-world --count 4 two
sh 'diff -r one two && echo identical'
run mm-world --threads 2 --count 4 three
sh 'diff -r -x video.mp4 one three && echo identical but for MP4s'
sh 'ls one one/s0-000001'
sh 'wc -l < one/manifest.jsonl'
sh 'python3 -c "import json,sys
for line in open(\"one/manifest.jsonl\"):
    t = json.loads(line)
    if t[\"index\"] == 1: print(t[\"task\"], len(t[\"turns\"]), t[\"turns\"][-1][\"output\"], t[\"held_out\"])"'
sh 'file -b one/s0-000000/image.png one/s0-000000/speech.wav | cut -d, -f1-2'
sh 'ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames -of csv=p=0 one/s0-000000/video.mp4'
run mm-world --count 2 --tasks caption_image,answer_question small
sh 'ls small/s0-000000; wc -l < small/manifest.jsonl'
# --twins: after each scene its placement twin (still, the objects trading places), its
# edited twin (after its edit_image task's first edit) and its added twin (one object more,
# none for three); the world's own perception captions and codes each twin's image as its
# manifest says
run mm-world --describe --twins placement,edit,add --seed 1 --first 10000 --count 2
run mm-world --twins placement,edit,add --count 3 --tasks caption_image,code_image,describe_motion,edit_image twins
sh 'python3 -c "import json; print(*[json.loads(l)[\"id\"] for l in open(\"twins/manifest.jsonl\")][::4])"'
sh 'ls twins/s0-000000-placed twins/s0-000000-edited'
sh 'for i in 0 1 2; do cmp twins/s0-00000$i/edit-1.png twins/s0-00000$i-edited/image.png && echo "s0-00000$i: the edited twin is its first edit"; done'
run mm-world --solve twins/manifest.jsonl twins-solved
sh 'mm-score twins/manifest.jsonl twins-solved | cut -c1-50'
# refusals
run mm-world --count 1 one
run mm-world --split train --count 2 train
run mm-world --split train --first 10000 --count 1 --describe
run mm-world --split eval --first 9999 --count 2 --describe
run mm-world --tasks bogus out
run mm-world --describe out
run mm-world --twins placement --solve one/manifest.jsonl out
run mm-world --twins mirror --count 1 out
run mm-world
