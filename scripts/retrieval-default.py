#!/usr/bin/env python3
"""Cross-modal retrieval through the backbone's one space: for N held-out scenes (seed 0),
each caption and each image is encoded alone (mm-tokenize | mm-encode --embeddings, the
mean of the final hidden states over the segment, unit length), and each caption ranks
the N images by cosine similarity. Prints recall@1 (the caption's own image first) and
recall@5, and the same for images finding their captions.

With --twins each scene comes with its placement twin (mm-world --twins placement: the
same objects trading places), recall is over all 2N, and it also prints how often a scene's
image is nearer its own caption than its twin's caption, and a caption nearer its own image
than the twin's image: whether the space knows where things are, not only which things.

Usage: scripts/retrieval-default.py [--bindir DIR] [--bundle DIR] [--scenes N] [--twins] [--work DIR]
"""
import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import tempfile


def embedding(bindir, bundle, tokenize_args):
    tokens = subprocess.run([os.path.join(bindir, "mm-tokenize"), "--bundle", bundle] + tokenize_args,
                            check=True, stdout=subprocess.PIPE).stdout
    encoded = subprocess.run([os.path.join(bindir, "mm-encode"), "--bundle", bundle, "--threads", "1", "--embeddings"],
                             input=tokens, check=True, stdout=subprocess.PIPE).stdout
    dump = subprocess.run([os.path.join(bindir, "mm-inspect"), "--dump"], input=encoded, check=True,
                          stdout=subprocess.PIPE).stdout.decode()
    for line in dump.splitlines():
        f = line.split()
        if f and f[0] == "tensor" and f[1] == "embedding":
            count = int(f[3])
            return struct.unpack("<%df" % count, bytes.fromhex(f[4]))
    raise SystemExit("retrieval: no embedding in mm-encode's output")


def recall(queries, keys, k):
    hits = 0
    for i, q in enumerate(queries):
        scores = [sum(a * b for a, b in zip(q, key)) for key in keys]
        mine = scores[i]
        rank = sum(1 for s in scores if s > mine)
        hits += rank < k
    return hits / len(queries)


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bindir", default=os.path.join(here, "build", "bin"))
    parser.add_argument("--bundle", default=os.path.join(here, "models", "default"))
    parser.add_argument("--scenes", type=int, default=100)
    parser.add_argument("--twins", action="store_true", help="add each scene's placement twin")
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mm-retrieval-")
    try:
        world = os.path.join(work, "world")
        subprocess.run([os.path.join(args.bindir, "mm-world"), "--split", "eval", "--count", str(args.scenes),
                        "--size", "64", "--tasks", "caption_image", "-q", world]
                       + ["--twins", "placement"] * args.twins, check=True)
        captions, images = [], []
        for line in open(os.path.join(world, "manifest.jsonl")):
            task = json.loads(line)
            turn = task["turns"][0]
            image = [p["image"] for p in turn["user"] if "image" in p][0]
            captions.append(embedding(args.bindir, args.bundle, ["--text", turn["assistant"]["text"]]))
            images.append(embedding(args.bindir, args.bundle,
                                    ["--size", "64", "--levels", "1", os.path.join(world, image)]))
        n = len(captions)
        print("retrieval: %d held-out scenes%s; caption->image recall@1 %.3f, recall@5 %.3f; "
              "image->caption recall@1 %.3f (chance %.3f)"
              % (n, " and twins" if args.twins else "", recall(captions, images, 1), recall(captions, images, 5),
                 recall(images, captions, 1), 1 / n))
        if args.twins:  # the manifest holds each scene, then its twin
            dot = lambda a, b: sum(x * y for x, y in zip(a, b))
            scenes = range(0, n, 2)
            image_right = sum(dot(images[i], captions[i]) > dot(images[i], captions[i + 1]) for i in scenes)
            caption_right = sum(dot(captions[i], images[i]) > dot(captions[i], images[i + 1]) for i in scenes)
            print("twins: an image nearer its own caption than its twin's %d of %d; a caption nearer its own image "
                  "than its twin's %d of %d (chance half)" % (image_right, n // 2, caption_right, n // 2))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
