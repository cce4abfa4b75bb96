#!/usr/bin/env python3
"""Turns an mm-world corpus into ONE packed token stream for mm-train: every task is one
member (a conversation: the user's parts, then the assistant's answer, turn after turn, each
part a segment with its role), so `mm-train --example member` reads each as one example.

Usage: scripts/world-corpus.py [--bindir DIR] [--bundle DIR] [--size N] [--levels N]
                               [--fps F] [--max-frames N] [--tasks LIST] [--held-out]
                               [--prompts DIR] MANIFEST OUTPUT

The same streams as scripts/world-streams.py (one file per task, one mm-tokenize run per
part), made fast enough for a training corpus of tens of thousands of tasks: each kind of
part is tokenized in a few mm-tokenize runs over all the corpus's texts, codes, images,
videos and speech at once, the codes are read back through `mm-inspect --dump`, and the
conversations are assembled in the text form and packed by one `mm-inspect --pack`. A
video's parts (mm-tokenize cuts video into segments of a few frames) are joined into one
segment, so an answer that is a video is one segment, as mm-generate --video writes it.

--prompts DIR writes, instead, one stream per task holding only its first user turn
(DIR/<task id>.mmt): the input a model answers when it is evaluated.

Held-out scenes (seed 0, indices below 10000) are refused unless --held-out is given.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

BATCH = 400  # parts per mm-tokenize run (the command line stays far below its limit)


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode(errors="replace"))
        raise SystemExit("world-corpus: failed: %s" % " ".join(command[:4]))
    return result.stdout


def parse_dump(text):
    """The text form -> [(metadata dict, [codes])] in stream order."""
    segments = []
    for line in text.splitlines():
        if line.startswith("segment "):
            segments.append([json.loads(line[len("segment "):]), []])
        elif line.startswith("tokens"):
            segments[-1][1].extend(int(t) for t in line.split()[1:])
    return segments


class Tokenizer:
    def __init__(self, args):
        self.bin = lambda name: os.path.join(args.bindir, name) if args.bindir else name
        self.common = [self.bin("mm-tokenize")] + (["--bundle", args.bundle] if args.bundle else [])
        self.visual = ["--size", str(args.size), "--levels", str(args.levels)]
        self.video = ["--fps", str(args.fps), "--max-frames", str(args.max_frames)]

    def segments(self, extra):
        stream = run(self.common + extra)
        return parse_dump(run([self.bin("mm-inspect"), "--dump"], input=stream).decode())

    def literals(self, values, modality):
        """Text or code literals -> {value: (metadata, codes)}."""
        out = {}
        values = sorted(values)
        for i in range(0, len(values), BATCH):
            chunk = values[i:i + BATCH]
            extra = ["--modality", modality] if modality == "code" else []
            for literal in chunk:
                extra += ["--text", literal]
            got = self.segments(extra)
            if len(got) != len(chunk):
                raise SystemExit("world-corpus: %d %s literals gave %d segments" % (len(chunk), modality, len(got)))
            out.update(zip(chunk, got))
        return out

    def files(self, paths, kind):
        """Image, video or audio files -> {path: (metadata, codes)}; a video's parts joined into one."""
        out = {}
        paths = sorted(paths)
        options = {"image": self.visual, "video": self.visual + self.video, "audio": []}[kind]
        for i in range(0, len(paths), BATCH):
            chunk = paths[i:i + BATCH]
            extra = options + ["--modality", kind] + chunk
            for meta, codes in self.segments(extra):
                source = meta.get("source")
                if source not in chunk:
                    raise SystemExit("world-corpus: a segment of unknown source %r" % source)
                if source in out and kind == "audio":  # the world's speech is seconds long: one segment
                    raise SystemExit("world-corpus: %s: speech in more than one segment" % source)
                if source in out:  # the next part of a video
                    first = out[source][0]
                    first["frames"] += meta["frames"]
                    first["timestamps"] = first.get("timestamps", []) + meta.get("timestamps", [])
                    out[source][1].extend(codes)
                else:
                    meta.pop("part", None)
                    out[source] = (meta, codes)
        return out


def member(parts):
    """[(role, metadata, codes)] -> one stream in the text form."""
    lines = ["stream 1.0 level=3"]
    for role, meta, codes in parts:
        meta = dict(meta)
        if role:
            meta["role"] = role
        meta.pop("source", None)  # the corpus's temporary paths would only make streams differ
        lines.append("segment " + json.dumps(meta, sort_keys=True, separators=(",", ":")))
        if codes:
            lines.append("tokens " + " ".join(map(str, codes)))
        lines.append("segment-end")
    lines.append("end")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("output", help="the packed stream (.mmt); with --prompts, a directory")
    parser.add_argument("--bindir", default="", help="where the mm programs are (default: PATH)")
    parser.add_argument("--bundle", default="", help="model bundle whose tokenizers to use")
    # The defaults are the default model's (scripts/train-default.sh).
    parser.add_argument("--size", type=int, default=64, help="images and video frames: mm-tokenize --size")
    parser.add_argument("--levels", type=int, default=1, help="mm-tokenize --levels (codes per patch)")
    parser.add_argument("--fps", type=float, default=1, help="video: frames per second")
    parser.add_argument("--max-frames", type=int, default=2, help="video: the most frames")
    parser.add_argument("--tasks", default="", help="only these tasks, comma-separated")
    parser.add_argument("--prompts", action="store_true", help="write each task's first user turn to OUTPUT/<id>.mmt")
    parser.add_argument("--held-out", action="store_true", help="allow held-out scenes (evaluation only)")
    parser.add_argument("--pairs", default="",
                        help="also write PAIRS: each caption_image task's image and caption as one member of two "
                             "segments without roles, for mm-train --pairs (with its twins', a group of pairs)")
    parser.add_argument("--pair-tasks", default="caption_image",
                        help="with --pairs: the tasks whose image and answer make the pairs, comma-separated "
                             "(caption_image, code_image)")
    args = parser.parse_args()
    pair_tasks = set(filter(None, args.pair_tasks.split(",")))
    if not pair_tasks or not pair_tasks <= {"caption_image", "code_image"}:
        parser.error("--pair-tasks: only caption_image and code_image make pairs")
    only = set(filter(None, args.tasks.split(",")))
    base = os.path.dirname(args.manifest)

    tasks = []
    with open(args.manifest) as manifest:
        for number, line in enumerate(manifest, 1):
            if not line.strip():
                continue
            task = json.loads(line)
            if only and task["task"] not in only:
                continue
            if task.get("held_out") and not args.held_out:
                raise SystemExit("world-corpus: %s: line %d: %s is a held-out scene; make training corpora with "
                                 "mm-world --split train" % (args.manifest, number, task["id"]))
            tasks.append(task)
    if not tasks:
        raise SystemExit("world-corpus: no tasks")

    def parts_of(task):
        for number, turn in enumerate(task["turns"]):
            for part in turn["user"]:
                yield number, "user", part
            yield number, "assistant", turn["assistant"]

    wanted = {"text": set(), "code": set(), "image": set(), "video": set(), "audio": set()}
    for task in tasks:
        for _, _, part in parts_of(task):
            (kind, value), = part.items()
            wanted[kind].add(value if kind in ("text", "code") else os.path.join(base, value))

    tokenizer = Tokenizer(args)
    done = {}
    for kind in ("text", "code"):
        done.update({(kind, k): v for k, v in tokenizer.literals(wanted[kind], kind).items()})
    for kind in ("image", "video", "audio"):
        done.update({(kind, k): v for k, v in tokenizer.files(wanted[kind], kind).items()})

    def segment(role, part):
        (kind, value), = part.items()
        meta, codes = done[(kind, value if kind in ("text", "code") else os.path.join(base, value))]
        return role, meta, codes

    pack = [tokenizer.bin("mm-inspect"), "--pack", "-f"]
    if args.prompts:
        os.makedirs(args.output, exist_ok=True)
        for task in tasks:
            text = member([segment(role, part) for number, role, part in parts_of(task) if number == 0 and role == "user"])
            run(pack + ["-o", os.path.join(args.output, task["id"] + ".mmt")], input=text.encode())
        print("world-corpus: wrote %d prompt streams to %s" % (len(tasks), args.output), file=sys.stderr)
        return
    def pack_members(members, output):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as text:
            for one in members:
                text.write(one)
        try:
            run(pack + ["-o", output, text.name])
        finally:
            os.unlink(text.name)

    pack_members((member([segment(role, part) for _, role, part in parts_of(task)]) for task in tasks), args.output)
    print("world-corpus: packed %d conversations into %s" % (len(tasks), args.output), file=sys.stderr)
    if args.pairs:
        # A scene's pair and its twins' (mm-world --twins) make one member, which mm-train
        # --pairs keeps in one step: each is the others' hardest negative.
        groups = {}
        for task in tasks:
            if task["task"] in pair_tasks:
                groups.setdefault((task["seed"], task["index"], task["task"]), []).append(task["turns"][0])
        def pair(turn):
            image = [part for part in turn["user"] if "image" in part][0]
            return [segment(None, image), segment(None, turn["assistant"])]
        pack_members((member([view for turn in group for view in pair(turn)]) for group in groups.values()),
                     args.pairs)
        count = sum(map(len, groups.values()))
        grouped = " in %d groups" % len(groups) if len(groups) < count else ""  # twins share a group
        print("world-corpus: packed %d image/answer pairs (%s)%s into %s"
              % (count, ",".join(sorted(pair_tasks)), grouped, args.pairs), file=sys.stderr)


if __name__ == "__main__":
    main()
