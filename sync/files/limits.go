package files

// MaxRefusals bounds the refusals a Pusher remembers for one relay of one
// community (the latest).
const MaxRefusals = 8

// MaxFilePushes bounds the files whose push a Pusher follows one by one
// (FileState): past it, the oldest whose pushes all ended is forgotten.
const MaxFilePushes = 1024
