package atomicfile

import (
	"errors"
	"runtime"
	"syscall"
)

// isUnsupported reports a directory sync the system does not do.
func isUnsupported(err error) bool {
	return runtime.GOOS == "windows" || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
