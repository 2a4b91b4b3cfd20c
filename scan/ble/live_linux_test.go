//go:build linux

package ble

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// causer wraps like github.com/pkg/errors v0.8, with Cause and no Unwrap.
type causer struct {
	msg   string
	cause error
}

func (c causer) Error() string { return c.msg + ": " + c.cause.Error() }
func (c causer) Cause() error  { return c.cause }

func TestOpenError(t *testing.T) {
	wrap := func(e error, msg string) error {
		return causer{"can't init hci", causer{msg, e}}
	}
	tests := []struct {
		in    error
		want  error
		words []string
	}{
		{wrap(syscall.EPERM, "can't down device"), ErrPermission, []string{"root or CAP_NET_ADMIN", "systemctl stop bluetooth", "hci1"}},
		{wrap(syscall.EBUSY, "can't bind socket to hci user channel"), ErrBusy, []string{"BlueZ", "hciconfig hci1 down"}},
		{wrap(syscall.ENODEV, "can't down device"), ErrNoAdapter, []string{"--adapter"}},
		{errors.New("no devices available: (hci0: x)"), ErrNoAdapter, nil},
		{wrap(syscall.EAFNOSUPPORT, "can't create socket"), ErrNoAdapter, []string{"kernel"}},
		{errors.New("something else"), nil, []string{"opening hci1"}},
	}
	for _, tt := range tests {
		err := openError(tt.in, 1)
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.in, err, tt.want)
		}
		for _, w := range tt.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q lacks %q", err, w)
			}
		}
	}
}
