//go:build !unix

package tail

import "io/fs"

// idOf returns the zero identity where device and inode are not
// available: rotation by rename goes unnoticed, truncation is still seen.
func idOf(fs.FileInfo) fileID { return fileID{} }
