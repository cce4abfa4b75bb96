# mm-fit-vq: deterministic (the same bytes on any thread count, another seed differs), the
# codebook works as a bundle's tokenizer, and bad input is one clear error
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=160x120 -frames:v 1 a.png
ffmpeg -nostdin -loglevel error -i /usr/share/doc/opencv-doc/examples/data/aero1.jpg -vf scale=160:120 b.jpg
run mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --threads 1 -o one.vq a.png b.jpg
run mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --threads 2 -o two.vq a.png b.jpg
sh 'cmp one.vq two.vq && echo identical; wc -c < one.vq'
sh 'mm-fit-vq -q --codes 64 --levels 2 --iterations 3 --seed 5 -o seeded.vq a.png b.jpg; cmp -s one.vq seeded.vq || echo another seed, another codebook'
sh 'mm-fit-vq -v --codes 64 --levels 2 --iterations 1 -o /dev/null -f a.png b.jpg 2>&1 | sed "s/error per pixel [0-9.]*/error per pixel E/; s/vq-[0-9a-f]*/VQ/"'
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
