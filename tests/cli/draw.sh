# mm-draw: drawing code to the same pixels as mm-world's images, or a video of its motion
mm-world --count 3 --tasks code_image,draw_code corpus
sh 'python3 -c "import json
for line in open(\"corpus/manifest.jsonl\"):
    t = json.loads(line)
    if t[\"task\"] == \"code_image\": open(t[\"scene\"] + \".draw\", \"w\").write(t[\"turns\"][0][\"assistant\"][\"code\"])"'
sh 'for s in s0-000000 s0-000001 s0-000002; do mm-draw $s.draw -o $s.png && cmp $s.png corpus/$s/image.png && echo "$s: identical"; done'
sh 'cat s0-000000.draw; mm-draw < s0-000000.draw | cmp - corpus/s0-000000/image.png && echo identical from stdin'
sh 'echo "circle red small at 16 48 moving right fast" | mm-draw --size 128 --video -o moving.mp4 && ffprobe -v error -count_frames -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 moving.mp4'
sh 'printf "square blue large at 48 48\n" | mm-draw --size 32 | file -b - | cut -d, -f1-2'
# faults
printf "circle red small at 16 48\nhexagon blue\n" > bad.draw
run mm-draw bad.draw -o bad.png
sh 'ls bad.png 2>&1 | sed "s/.*: //"'
run mm-draw s0-000000.draw -o s0-000000.png
on_terminal 'mm-draw s0-000000.draw'
run mm-draw --size 8 s0-000000.draw
