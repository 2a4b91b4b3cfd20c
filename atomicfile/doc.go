// Package atomicfile writes files that readers see whole or not at all,
// and that survive a power cut once written: temporary file 0600 in the
// same directory, fsync, rename, fsync of the directory. It is the one
// way rounds writes reports, exports and sync change files.
package atomicfile
