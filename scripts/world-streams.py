#!/usr/bin/env python3
"""Turns an mm-world corpus into training token streams: one .mmt per task, its turns in
order, each part (text, drawing code, image, video, audio) one segment made by mm-tokenize
with the turn's role, the parts' streams concatenated (a valid stream, see mmt(5)).

Usage: scripts/world-streams.py [--bindir DIR] [--bundle DIR] [--size N] [--tasks LIST]
                                [--held-out] [--dry-run] MANIFEST OUTDIR

Held-out scenes (mm-world(1): seed 0, indices below 10000) are refused unless --held-out
is given, so a training corpus cannot include them by accident.

Every part is one mm-tokenize run (the literals of one run would come before its files and
change the order), about 70 ms each on this project's 2-core machine: fine for thousands of
scenes. A training program should read the manifest and tokenize in-process instead.
"""
import argparse
import json
import os
import shlex
import signal
import subprocess
import sys


def commands(task, base, code_dir, args):
    """The mm-tokenize command lines of a task's parts, in order, and the code files they need."""
    tokenize = [os.path.join(args.bindir, "mm-tokenize")] if args.bindir else ["mm-tokenize"]
    if args.bundle:
        tokenize += ["--bundle", args.bundle]
    out, files = [], {}
    for number, turn in enumerate(task["turns"], 1):
        parts = [("user", part) for part in turn["user"]] + [("assistant", turn["assistant"])]
        for index, (role, part) in enumerate(parts):
            (kind, value), = part.items()
            command = tokenize + ["--role", role]
            if kind == "text":
                command += ["--text", value]
            elif kind == "code":
                path = os.path.join(code_dir, "%s.%d.%d.draw" % (task["id"], number, index))
                files[path] = value
                command += ["--modality", "code", path]
            elif kind in ("image", "video", "audio"):
                if kind in ("image", "video") and args.size:
                    command += ["--size", str(args.size)]
                command += [os.path.join(base, value)]
            else:
                raise SystemExit("world-streams: %s: a part of unknown kind %r" % (task["id"], kind))
            out.append(command)
    return out, files


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when a reader such as head goes away
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("outdir")
    parser.add_argument("--bindir", default="", help="where the mm programs are (default: PATH)")
    parser.add_argument("--bundle", default="", help="model bundle whose tokenizers to use")
    parser.add_argument("--size", type=int, default=0, help="mm-tokenize --size for images and video")
    parser.add_argument("--tasks", default="", help="only these tasks, comma-separated")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--held-out", action="store_true",
                        help="allow held-out scenes (evaluation streams); refused by default, never train on them")
    args = parser.parse_args()
    only = set(filter(None, args.tasks.split(",")))
    base = os.path.dirname(args.manifest)
    code_dir = os.path.join(args.outdir, "code")
    if not args.dry_run:
        os.makedirs(code_dir, exist_ok=True)
    written = 0
    with open(args.manifest) as manifest:
        for number, line in enumerate(manifest, 1):
            if not line.strip():
                continue
            try:
                task = json.loads(line)
            except ValueError as e:
                raise SystemExit("world-streams: %s: line %d: %s" % (args.manifest, number, e))
            if only and task["task"] not in only:
                continue
            if task.get("held_out") and not args.held_out:
                raise SystemExit("world-streams: %s: line %d: %s is a held-out scene (seed 0, index below 10000); "
                                 "make training corpora with mm-world --split train, or pass --held-out for "
                                 "evaluation streams" % (args.manifest, number, task.get("scene", task["id"])))
            runs, files = commands(task, base, code_dir, args)
            target = os.path.join(args.outdir, task["id"] + ".mmt")
            if args.dry_run:
                print(target + ":")
                for run in runs:
                    print("  " + " ".join(shlex.quote(word) for word in run))
                continue
            for path, code in files.items():
                with open(path, "w") as f:
                    f.write(code)
            temporary = target + ".tmp"
            with open(temporary, "wb") as out:
                for run in runs:
                    result = subprocess.run(run, stdout=out, stderr=subprocess.PIPE)
                    if result.returncode != 0:
                        os.unlink(temporary)
                        sys.stderr.write(result.stderr.decode(errors="replace"))
                        raise SystemExit("world-streams: %s: mm-tokenize failed" % task["id"])
            os.replace(temporary, target)
            written += 1
    if not args.dry_run:
        print("world-streams: wrote %d streams to %s" % (written, args.outdir), file=sys.stderr)


if __name__ == "__main__":
    main()
