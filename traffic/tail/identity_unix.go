//go:build unix

package tail

import (
	"io/fs"
	"syscall"
)

// idOf returns the device and inode a file lives at.
func idOf(info fs.FileInfo) fileID {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
}
