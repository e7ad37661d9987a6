package blob

// FreeSpace is how many bytes an unprivileged writer may still write on
// the file system of dir; where the platform cannot tell, the most a
// uint64 holds (a full disk then shows as a failed write).
func FreeSpace(dir string) (uint64, error) { return freeSpace(dir) }
