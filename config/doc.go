// Package config reads the rounds configuration file (TOML): scan
// exclusions and safety caps, and the CMDB sync targets. Secrets are never
// in this file: targets name the environment variables or keyring entries
// that hold them.
package config
