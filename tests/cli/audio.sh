# Sound: mm-tokenize and mm-render round trips, exact durations at any rate, options, bad input.
cat > meta.py <<'PY'
import json, sys
print("modality tokens part samples start source_sample_rate source_samples")
for s in json.load(sys.stdin)["segments"]:
    m = s["metadata"]
    print(s["modality"], s["tokens"], m.get("part", 0), m["samples"], m["start"], m["source_sample_rate"], m["source_samples"])
PY
ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=300:sample_rate=44100:duration=12.5" -ac 2 tone.wav
espeak-ng -v en -w speech.wav "Audio tokens at one hundred per second."
# a 12.5 s stereo recording: 10 s segments, 100 codes a second, exact to the sample at 44.1 kHz
run mm-tokenize tone.wav -o tone.mmt
sh 'mm-inspect --json tone.mmt | python3 meta.py'
run mm-render tone.mmt -o tone-back.flac
sh 'echo $(soxi -r tone-back.flac) Hz, $(soxi -c tone-back.flac) channel, $(soxi -s tone-back.flac) samples'
# --start and --duration, to the sample; --sample-rate
run mm-tokenize --start 2.5 --duration 3.25 tone.wav -o cut.mmt
sh 'mm-inspect --json cut.mmt | python3 meta.py'
run mm-render cut.mmt --sample-rate 8000 -o cut8k.wav
sh 'echo $(soxi -r cut8k.wav) Hz, $(soxi -s cut8k.wav) samples'
# odd rates and 5.1 come back at their rate and length, mono
sh 'for r in 8000 11025 192000; do ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=sample_rate=$r:duration=0.77:seed=3" n$r.wav && mm-tokenize n$r.wav | mm-render -o o$r.wav && echo "$r $(soxi -s n$r.wav) $(soxi -s o$r.wav) $(soxi -r o$r.wav)"; done'
sh 'ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=500:sample_rate=48000:duration=1" -af "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0" six.wav && mm-tokenize six.wav | mm-render -o six-back.wav && echo $(soxi -c six-back.wav) channel, $(soxi -s six-back.wav) samples'
# silence comes back as silence; a deterministic stream
sh 'ffmpeg -nostdin -v error -f lavfi -i anullsrc=sample_rate=22050:channel_layout=stereo -t 2 quiet.wav && mm-tokenize quiet.wav | mm-render -o quiet-back.wav && sox quiet-back.wav -n stat 2>&1 | grep -E "Length|Maximum amp"'
sh 'mm-tokenize speech.wav | cmp - <(mm-tokenize speech.wav) && echo same tokens'
# a mixed conversation: text, then speech
sh 'mm-tokenize --role user --text "Say this:" speech.wav | mm-inspect | cut -c1-60 | sed "s/bpe-[0-9a-f]*/BPE/; s/audio-env-[0-9a-f]*/AUDIO/"'
# bad input: empty, junk, stdin, to stdout, a stream from another tokenizer
sh 'ffmpeg -nostdin -v error -f lavfi -i anullsrc=sample_rate=16000 -t 0 empty.wav; mm-tokenize empty.wav -o empty.mmt; ls empty.mmt 2>&1 | sed "s/.*: //"'
sh 'head -c 200 /dev/zero > junk.wav; mm-tokenize junk.wav'
sh 'mm-tokenize - < speech.wav'
sh 'mm-tokenize speech.wav | mm-render'
sh 'mm-tokenize speech.wav | mm-inspect --dump | sed "s/audio-env-[0-9a-f]*/audio-env-0000000000000000/" | mm-inspect --pack | mm-render -o x.wav 2>&1 | sed "s/audio-env-[0-9a-f]*/AUDIO/g"; ls x.wav 2>&1 | sed "s/.*: //"'
# a video with sound: frames and sound interleaved second by second; --no-audio, --no-video
sh 'ffmpeg -nostdin -v error -f lavfi -i testsrc=size=64x48:rate=10 -f lavfi -i "aevalsrc=0.5*sin(2*PI*440*t)*between(t\,1\,1.5):s=44100" -t 2.5 -c:v libx264 -pix_fmt yuv420p -c:a aac movie.mp4'
run mm-tokenize movie.mp4 -o movie.mmt
sh 'mm-inspect --json movie.mmt | python3 -c "import json,sys
for s in json.load(sys.stdin)[\"segments\"]:
    m=s[\"metadata\"]; print(s[\"modality\"], m.get(\"part\",0), m.get(\"timestamps\", m.get(\"start\")))"'
sh 'mm-tokenize --no-audio movie.mp4 | mm-inspect --json | python3 -c "import json,sys; print([s[\"modality\"] for s in json.load(sys.stdin)[\"segments\"]])"'
sh 'mm-tokenize --no-video movie.mp4 | mm-inspect --json | python3 -c "import json,sys; print([s[\"modality\"] for s in json.load(sys.stdin)[\"segments\"]])"'
run mm-tokenize --no-video --no-audio movie.mp4
# the pictures of a video with sound are coded as those of the silent video, options included
sh 'for o in "" "--no-audio"; do mm-tokenize $o --reuse-below -1 movie.mp4 | mm-inspect --dump | grep -A1 "\"modality\":\"video\"" | grep ^tokens | md5sum; done | uniq | wc -l'
sh 'mm-tokenize --reuse-below -1 movie.mp4 | mm-inspect --dump | grep -A1 "\"modality\":\"video\"" | grep -c ^tokens'
# rendered back into one MP4 with an AAC track, both from time 0; the beep is still at 1-1.5 s
run mm-render movie.mmt -o back.mp4
sh 'ffprobe -v error -show_entries stream=codec_type,codec_name,start_time -of csv=p=0 back.mp4'
sh 'ffmpeg -nostdin -v error -i back.mp4 -ac 1 -ar 16000 back.wav && for t in 0.5 0.75 1.1 1.3 1.75 2.0; do printf "%s %s\n" $t $(sox back.wav -n trim $t 0.1 stat 2>&1 | sed -n "s/RMS *amplitude: *//p" | awk "{print (\$1 > 0.05) ? \"sound\" : \"quiet\"}"); done'
ls /tmp/mm-render-sound-* 2>/dev/null
# a cut FLAC: the loss is said; nothing is written unless --keep-going
sh 'ffmpeg -nostdin -v error -i tone.wav tone.flac && head -c 60000 tone.flac > cut.flac; mm-tokenize cut.flac -o trunc.mmt; ls trunc.mmt 2>&1 | sed "s/.*: //"'
sh 'mm-tokenize --keep-going cut.flac -o trunc.mmt && mm-render trunc.mmt -o cut-back.wav && echo $(soxi -s cut-back.wav) samples'
# a cut WAV: libsndfile reads what is there, the header says what should be
sh 'head -c 50000 tone.wav > cut.wav; mm-tokenize cut.wav -o trunc-wav.mmt; ls trunc-wav.mmt 2>&1 | sed "s/.*: //"'
sh 'mm-tokenize --keep-going cut.wav -o trunc-wav.mmt 2>/dev/null && echo kept'
