// Package secret finds the credentials of a sync target in the OS keyring
// or the environment, and carries them in a type that refuses to print
// itself, so that a secret never reaches the database, the journal, a log
// line or an error message by accident.
package secret
