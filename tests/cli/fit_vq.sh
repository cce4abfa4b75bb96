# mm-fit-vq: deterministic (the same bytes on any thread count, another seed differs), the
# codebook works as a bundle's tokenizer, and bad input is one clear error
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=160x120 -frames:v 1 a.png
ffmpeg -nostdin -loglevel error -i /usr/share/doc/opencv-doc/examples/data/aero1.jpg -vf scale=160:120 b.jpg
run mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --threads 1 -o one.vq a.png b.jpg
run mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --threads 2 -o two.vq a.png b.jpg
sh 'cmp one.vq two.vq && echo identical; wc -c < one.vq'
sh 'mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --seed 5 -o seeded.vq a.png b.jpg; cmp -s one.vq seeded.vq || echo another seed, another codebook'
sh 'mm-fit-vq -v --codes 64 --levels 2 --iterations 1 -o /dev/null -f a.png b.jpg 2>&1 | sed "s/error per pixel [0-9.]*/error per pixel E/; s/vq-[0-9a-f]*/VQ/"'
# --own-size images are cut into patches as they are, not scaled by --size: a.png at 80x60
# gives 10x7 patches, b.jpg as it is (160x120) 20x15
sh 'mm-fit-vq -v --size 80 --codes 64 --levels 1 --iterations 0 -o own.vq a.png --own-size b.jpg 2>&1 | head -1'
# codes set apart for a world scene that the photo's patches would outweigh: its round trip is
# closer with them (PSNR in dB), and the fit stays the same on any thread count
mm-world --seed 2 --first 0 --count 1 --size 64 --tasks draw_code -q world
cp world/s2-000000/image.png w.png
run mm-fit-vq -q --size 320 --codes 64 --levels 1 --iterations 3 --threads 1 -o mixed.vq b.jpg --own-size w.png
run mm-fit-vq -q --size 320 --codes 64 --levels 1 --iterations 3 --threads 1 --own-size-codes 16 -o apart.vq b.jpg --own-size w.png
sh 'mm-fit-vq -q --size 320 --codes 64 --levels 1 --iterations 3 --threads 2 --own-size-codes 16 -o apart2.vq b.jpg --own-size w.png; cmp apart.vq apart2.vq && echo identical'
round_trip_psnr() {
  mkdir -p "b-$1" && cp "$1.vq" "b-$1/" && echo "{\"tokenizers\": {\"image\": {\"type\": \"vq\", \"file\": \"$1.vq\"}}}" > "b-$1/config.json"
  mm-tokenize --bundle "b-$1" w.png | mm-render --bundle "b-$1" -o "w-$1.png"
  ffmpeg -nostdin -i w.png -i "w-$1.png" -lavfi psnr -f null - 2>&1 | sed -n 's/.* average:\([0-9.]*\).*/\1/p'
}
awk -v m="$(round_trip_psnr mixed)" -v a="$(round_trip_psnr apart)" \
  'BEGIN { print (a > m + 3 ? "codes set apart: closer by over 3 dB" : "codes set apart: " a " dB against " m) }'
run mm-fit-vq --own-size-codes 8 -o x.vq a.png
run mm-fit-vq --codes 64 --own-size-codes 64 -o x.vq a.png --own-size w.png
run mm-fit-vq --codes 128 --own-size-codes 65 -o x.vq a.png --own-size w.png
run mm-fit-vq -o x.vq
# a bundle with this codebook for images: tokenize and render with it
mkdir bundle
sh 'cp one.vq bundle/ && echo "{\"tokenizers\": {\"image\": {\"type\": \"vq\", \"file\": \"one.vq\"}}}" > bundle/config.json'
sh 'mm-tokenize --bundle bundle a.png | mm-render --bundle bundle -o back.png && ffprobe -v error -show_entries stream=width,height -of csv=p=0 back.png'
sh 'mm-tokenize --bundle bundle a.png | mm-render -o other.png 2>&1 | sed "s/vq-[0-9a-f]*/VQ/g"'
# bad input
run mm-fit-vq --codes 4096 -o big.vq a.png
run mm-fit-vq --patch 5 -o odd.vq a.png
run mm-fit-vq --chroma-block 8 -o odd.vq a.png
run mm-fit-vq --codes 1 -o odd.vq a.png
sh ': > empty.png; mm-fit-vq -o x.vq empty.png'
run mm-fit-vq -o x.vq .
sh 'ls *.vq'
