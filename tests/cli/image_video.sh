# images and video through the default bundle's VQ tokenizer: tokenize -> render round
# trips above a PSNR floor, every option, and bad input
psnr() {  # psnr A B: FFmpeg's average PSNR of B against A, in whole dB
  ffmpeg -nostdin -i "$1" -i "$2" -lavfi psnr -f null - 2>&1 | sed -n 's/.*average:\([0-9.]*\).*/\1/p' | cut -d. -f1
}
above() { [[ $(psnr "$1" "$2") -ge $3 ]] && echo "PSNR at least $3 dB" || echo "PSNR $(psnr "$1" "$2") dB, below $3"; }
meta() {  # meta STREAM EXPR: a Python expression over each segment's metadata m
  mm-inspect --json "$1" | python3 -c "import json,sys
for s in json.load(sys.stdin)['segments']:
  m = s['metadata']; print($2)"
}
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=200x150 -frames:v 1 test.png
ffmpeg -nostdin -loglevel error -f lavfi -i smptebars=size=320x240 -frames:v 1 -q:v 2 bars.jpg
cp /usr/share/doc/opencv-doc/examples/data/home.jpg home.jpg
# an image: its grid, patch, levels, picture region; rendered to PNG, JPEG and WebP
run mm-tokenize test.png -o test.mmt
meta test.mmt '{k: m[k] for k in ("grid", "patch", "levels", "frame", "content", "source_size", "source")}'
run mm-render test.mmt -o back.png
sh 'ffprobe -v error -show_entries stream=width,height -of csv=p=0 back.png'
above test.png back.png 13  # FFmpeg's synthetic test pattern: sharp saturated edges and text, far from photos
sh 'mm-tokenize home.jpg | mm-render -o home-back.jpg && ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 home-back.jpg'
sh 'ffmpeg -nostdin -loglevel error -i home.jpg -vf scale=256:192:flags=area home-256.png'
above home-256.png home-back.jpg 20
sh 'mm-tokenize bars.jpg | mm-render --format webp > bars.webp && ffprobe -v error -show_entries stream=codec_name -of csv=p=0 bars.webp'
# --quality: JPEG's quantiser (2 best, 31 smallest), WebP's quality
sh 'mm-tokenize home.jpg -o home.mmt && mm-render home.mmt --quality 2 -o q2.jpg && mm-render home.mmt --quality 31 -o q31.jpg && [[ $(stat -c%s q31.jpg) -lt $(stat -c%s q2.jpg) ]] && echo smaller at 31'
sh 'mm-render home.mmt --quality 10 -o q10.webp && mm-render home.mmt --quality 95 -o q95.webp && [[ $(stat -c%s q10.webp) -lt $(stat -c%s q95.webp) ]] && echo smaller at 10'
# fewer levels: fewer codes per patch
sh 'mm-tokenize --levels 1 home.jpg | mm-inspect | sed -n 2p | cut -c1-12,50-80'
# the resize policy: long side (never enlarged), WxH padded or cropped
meta test.mmt '(m["frame"], m["content"])'
sh 'mm-tokenize --size 100 test.png -o small.mmt'
meta small.mmt '(m["frame"], m["content"])'
sh 'mm-tokenize --size 128x128 test.png -o padded.mmt && mm-render padded.mmt -o padded.png'
meta padded.mmt '(m["frame"], m["content"])'
sh 'ffprobe -v error -show_entries stream=width,height -of csv=p=0 padded.png'
sh 'mm-tokenize --size 128x128 --fit crop test.png -o cropped.mmt && mm-render cropped.mmt -o cropped.png'
meta cropped.mmt '(m["frame"], m["content"])'
run mm-tokenize --size 0 test.png
run mm-tokenize --size 99999 test.png
run mm-tokenize --fit stretch test.png
# video: fps, start, duration, max-frames; one segment per second, joined again on render;
# one level by default (--levels for more)
ffmpeg -nostdin -loglevel error -f lavfi -i mandelbrot=size=96x64:rate=10 -t 3 -c:v libx264 -pix_fmt yuv420p clip.mp4
run mm-tokenize clip.mp4 -o clip.mmt
meta clip.mmt '(m["part"], m["frames"], m["fps"], m["timestamps"], m["grid"])'
run mm-tokenize --fps 2 --start 1 --duration 1.5 clip.mp4 -o part.mmt
meta part.mmt '(m["part"], m["frames"], m["fps"], m["timestamps"])'
run mm-tokenize --fps 0 --max-frames 3 clip.mp4 -o three.mmt
meta three.mmt '(m["frames"], m["fps"], m["timestamps"])'
# still patches keep the codes of the frame before (--reuse-below MSE; negative: never)
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=teal:size=64x48:rate=8 -t 1 -c:v libx264 -pix_fmt yuv420p still.mp4
sh 'mm-tokenize -v still.mp4 2>&1 >/dev/null'
sh 'mm-tokenize -v --reuse-below -1 still.mp4 2>&1 >/dev/null'
sh 'cmp <(mm-tokenize still.mp4) <(mm-tokenize --reuse-below -1 still.mp4) && echo same codes'
run mm-render clip.mmt -o clip-back.mp4
sh 'ffprobe -v error -show_entries stream=codec_name,width,height,nb_frames,r_frame_rate -of csv=p=0 clip-back.mp4'
sh 'ffmpeg -nostdin -loglevel error -i clip.mp4 -vf fps=4 -frames:v 12 ref-%02d.png && ffmpeg -nostdin -loglevel error -i clip-back.mp4 back-%02d.png && ls back-*.png | wc -l'
above ref-05.png back-05.png 15  # video defaults to one level
sh 'mm-tokenize --levels 3 clip.mp4 | mm-render -o clip3.mp4 && ffmpeg -nostdin -loglevel error -i clip3.mp4 three-%02d.png'
above ref-05.png three-05.png 17
run mm-render clip.mmt -o clip-back.gif
sh 'ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 clip-back.gif'
# several segments: a pattern or a directory; images and a video in one stream
sh 'mm-tokenize test.png bars.jpg clip.mp4 --max-frames 4 -o mixed.mmt'
run mm-render mixed.mmt -o out.png
run mm-render mixed.mmt -o 'out-%02d'
sh 'ls out-*'
run mm-render -v mixed.mmt -o dir/
sh 'ls dir'
run mm-render mixed.mmt --segment 1 -o one.jpg
sh 'ffprobe -v error -show_entries stream=codec_name -of csv=p=0 one.jpg'
run mm-render mixed.mmt --format gif -o 'gif-%02d'
# damaged video: what decodes is reported; exit 1 and no output unless --keep-going
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=96x64:rate=10 -t 4 -c:v mpeg4 -q:v 3 whole.avi
sh 'head -c 40000 whole.avi > cut.avi'
run mm-tokenize cut.avi -o cut.mmt
sh 'ls cut.mmt 2>&1 | sed "s/.*: //"'
run mm-tokenize --keep-going cut.avi -o cut.mmt
sh 'mm-inspect --validate cut.mmt > /dev/null && echo valid'
# bad input: empty, garbage, absurd sides, a directory, stdin video, another tokenizer. The garbage
# is seeded: some random bytes probe as a container without video, which words the error otherwise
sh ': > empty.png; mm-tokenize empty.png'
sh 'printf "\x89PNG\r\n\x1a\nnot really" > fake.png; mm-tokenize fake.png'
sh 'perl -e "srand(1); print map { chr int rand 256 } 1..3000" > noise.mp4; mm-tokenize --modality video noise.mp4 -o noise.mmt; ls noise.mmt 2>&1 | sed "s/.*: //"'
sh 'ffmpeg -nostdin -loglevel error -f lavfi -i color=size=16400x8 -frames:v 1 wide.png; mm-tokenize wide.png'
run mm-tokenize .
sh 'mm-tokenize --modality video < clip.mp4'
sh 'mm-inspect --dump test.mmt | sed "s/vq-[0-9a-f]*/vq-0123456789abcdef/" | mm-inspect --pack | mm-render -o other.png 2>&1 | sed "s/is vq-[0-9a-f]*/is VQ/"; ls other.png 2>&1 | sed "s/.*: //"'
run mm-render test.mmt --format mp4 -o x.mp4
