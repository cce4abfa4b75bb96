# fish completion for mm-draw; generated from its options, do not edit
complete -c mm-draw -s h -l help -d 'Print this help and exit'
complete -c mm-draw -s V -l version -d 'Print the version and exit'
complete -c mm-draw -s o -l output -r -F -d 'Write to FILE instead of stdout ('\''-'\''); the file appears only when the program succeeds'
complete -c mm-draw -s f -l force -d 'Overwrite an existing output file; allow binary output to a terminal'
complete -c mm-draw -s q -l quiet -d 'Print nothing but errors'
complete -c mm-draw -l size -x -d 'Side of the image in pixels (default 64)'
complete -c mm-draw -l video -d 'Write an MP4 of the motion (16 frames at 8 fps) instead of the first frame as PNG'
