# fish completion for mm-render; generated from its options, do not edit
complete -c mm-render -s h -l help -d 'Print this help and exit'
complete -c mm-render -s V -l version -d 'Print the version and exit'
complete -c mm-render -s o -l output -r -F -d 'Where to write: FILE for one segment, a pattern with %d (out-%04d.txt) or a directory (out/) for several; default: text to stdout'
complete -c mm-render -s f -l force -d 'Overwrite an existing output file; allow binary output to a terminal'
complete -c mm-render -s q -l quiet -d 'Print nothing but errors'
complete -c mm-render -s v -l verbose -d 'Print more detail; repeat for more'
complete -c mm-render -l segment -x -d 'Render only segment N (counting from 0)'
complete -c mm-render -l bundle -r -F -d 'Model bundle whose tokenizers to use (default: $MM_BUNDLE, then the built-in one)'
