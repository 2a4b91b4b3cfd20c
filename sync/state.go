package sync

import (
	"github.com/biomed-rounds/rounds/store"
)

// state is the sync state of one device for one target; the store keeps
// it (store.SyncRecord), sync decides what it holds.
type state = store.SyncRecord

func newState(tag string) *state { return store.NewSyncRecord(tag) }

// Resolution is the state of a conflict.
type Resolution = store.SyncResolution

// The conflict resolutions.
const (
	Open       Resolution = "open"
	KeepLocal  Resolution = "local"
	KeepServer Resolution = "server"
	AutoLocal  Resolution = "auto_local"
	AutoServer Resolution = "auto_server"
)

// Conflict is a field changed on both sides since the last value they
// agreed on (Base), or an ownership decision recorded beside them.
type Conflict = store.SyncConflict
