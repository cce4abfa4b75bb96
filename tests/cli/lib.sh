# Helpers for CLI tests. Each prints the command, then its stdout, its stderr (each line
# prefixed "stderr: ") and its exit status, so the .expected file shows all three.

# run CMD ARGS...  (no shell syntax; use sh for pipes and redirections)
run() {
  echo "\$ $*"
  "$@" >"$MM_CAPTURE/stdout" 2>"$MM_CAPTURE/stderr"
  local status=$?
  cat "$MM_CAPTURE/stdout"
  sed 's/^/stderr: /' "$MM_CAPTURE/stderr"
  echo "[exit $status]"
}

# sh 'COMMAND LINE'  (a shell command line with pipes and redirections)
sh() {
  echo "\$ $1"
  bash -o pipefail -c "$1" >"$MM_CAPTURE/stdout" 2>"$MM_CAPTURE/stderr"
  local status=$?
  cat "$MM_CAPTURE/stdout"
  sed 's/^/stderr: /' "$MM_CAPTURE/stderr"
  echo "[exit $status]"
}

# on_terminal 'COMMAND LINE': runs it with stdin, stdout and stderr on a pseudo-terminal.
on_terminal() {
  echo "\$ [on a terminal] $1"
  script -qec "$1" /dev/null </dev/null | tr -d '\r'
  echo "[exit ${PIPESTATUS[0]}]"
}

# A small text stream: two user turns of byte codes, built with the text form.
make_text_stream() {
  printf '%s\n' 'stream 1.0 level=3' \
    'segment {"modality":"text","role":"user","source":"hello.txt","tokenizer":"bytes","vocab_size":256}' \
    'tokens 104 101 108 108 111' 'segment-end' \
    'segment {"modality":"image","grid":[2,2],"tokenizer":"vq-8k","vocab_size":8192}' \
    'tokens 8191 0 17 17' 'tensor embedding f32 2 0000803f00000040' 'segment-end' 'end' | mm-inspect --pack -o "$1"
}
