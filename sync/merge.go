package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

// decision is what a three-way merge does with one field.
type decision int

const (
	// send the local value to the server.
	send decision = iota
	// agreed: both sides hold the same value; only the base moves.
	agreed
	// sendOverride sends the local value over a concurrent server change
	// (laptop-owned field), recording the decision.
	sendOverride
	// takeServer applies the server's concurrent change locally
	// (server-owned field), recording the decision.
	takeServer
	// conflict keeps both values for a person.
	conflict
)

// mergeField decides one field with a pending local change. local is the
// technician's value, base the last value both sides agreed on, server
// the latest server value; known says the server value is known at all
// (a record never fetched, or a field the connector does not map, is
// pushed as is).
func mergeField(owner Owner, local, base, server string, known bool) decision {
	switch {
	case !known:
		return send
	case server == local:
		return agreed
	case server == base:
		return send
	}
	switch owner {
	case Laptop:
		return sendOverride
	case Server:
		return takeServer
	}
	return conflict
}

// identityFields are the device fields the store indexes as unique or
// identifying; a server value another device already holds is skipped.
var identityFields = []string{FieldSerial, FieldMAC, FieldBLEAddress, FieldIP, FieldHostname}

func (e *Engine) mergeRecord(ctx context.Context, w *store.Writer, r Record, states map[string]*state,
	byRemote map[string]string, frozen map[string]map[string]bool, held map[string]map[string]Conflict,
	now time.Time, rep *PullReport, careful bool) error {
	issue := func(tag, field, msg string) error {
		rep.Issues++
		return w.AddSyncIssue(e.Target, tag, field, msg, now)
	}
	r, problems, ok := cleanRecord(r)
	if !ok {
		return issue(inert.String(clip(r.AssetTag)), "asset_tag", fmt.Sprintf("server record %s cannot be stored: %s",
			inert.String(clip(r.RemoteID)), problemText(problems)))
	}
	tag := r.AssetTag
	if tag == "" {
		return issue("", "asset_tag", fmt.Sprintf("server record %s has no asset tag; not stored", clip(r.RemoteID)))
	}
	st := states[tag]
	if st == nil {
		st = newState(tag)
		states[tag] = st
	}
	if r.RemoteID != "" {
		if st.RemoteID != "" && st.RemoteID != r.RemoteID {
			return issue(tag, "asset_tag", fmt.Sprintf("the server holds two records with this asset tag (%s and %s); only %s is synced",
				clip(st.RemoteID), clip(r.RemoteID), clip(st.RemoteID)))
		}
		if other, ok := byRemote[r.RemoteID]; ok && other != tag {
			return issue(tag, "asset_tag", fmt.Sprintf("server record %s changed its asset tag from %s; not applied",
				clip(r.RemoteID), other))
		}
		byRemote[r.RemoteID] = tag
	}
	if st.Stored && r.Version != "" && st.Version == r.Version {
		rep.Skipped++
		return nil
	}
	for _, f := range sortedKeys(problems) {
		if err := issue(tag, f, "server value "+problems[f]); err != nil {
			return err
		}
	}
	old, err := w.Device(tag)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !exists {
		old = store.Device{AssetTag: tag, Status: store.StatusInService}
	}
	d := old
	fz, hc := frozen[tag], held[tag]
	if !exists {
		// A device unknown locally has no local changes to protect.
		fz, hc = nil, nil
	}
	var applied []string
	for _, f := range Fields {
		v, ok := r.Fields[f]
		if !ok {
			continue
		}
		v = Normalize(f, v)
		st.Server[f] = v
		if c, ok := hc[f]; ok {
			rep.Held++
			if c.Resolution == Open && c.Server != v {
				if err := w.SetSyncConflictServer(c.ID, v); err != nil {
					return err
				}
			}
			continue
		}
		if fz[f] {
			rep.Held++
			continue
		}
		st.Base[f] = v
		if err := SetField(&d, f, v); err != nil {
			if err := issue(tag, f, err.Error()); err != nil {
				return err
			}
			continue
		}
		applied = append(applied, f)
	}
	if v, ok := r.Fields[FieldNotes]; ok {
		st.Server[FieldNotes] = Normalize(FieldNotes, v)
	}
	if (d.Manufacturer == "") != (d.Model == "") {
		if err := issue(tag, FieldModel, fmt.Sprintf("server gives manufacturer %q and model %q; rounds needs both or neither",
			clip(d.Manufacturer), clip(d.Model))); err != nil {
			return err
		}
		d.Manufacturer, d.Model = old.Manufacturer, old.Model
		if (d.Manufacturer == "") != (d.Model == "") {
			d.Manufacturer, d.Model = "", ""
		}
	}
	if r.RemoteID != "" {
		st.RemoteID = r.RemoteID
		d.CMDBID = r.RemoteID
	}
	st.Version = r.Version
	d.CMDBVersion = r.Version
	if len(applied) > 0 || !exists || d.CMDBID != old.CMDBID || d.CMDBVersion != old.CMDBVersion {
		if !careful {
			if _, err := w.PutDevice(d); err != nil {
				return fmt.Errorf("device %s: %w", tag, err)
			}
			if exists {
				rep.Updated++
			} else {
				rep.Created++
			}
			return w.SaveSyncRecord(e.Target, st)
		}
		err := w.Savepoint(func() error { _, err := w.PutDevice(d); return err })
		if err != nil && errors.Is(err, store.ErrConflict) {
			// A value another device holds: keep this device's own
			// identifying values and try again.
			if err := issue(tag, "identity", err.Error()); err != nil {
				return err
			}
			keepIdentity(&d, old, exists)
			err = w.Savepoint(func() error { _, err := w.PutDevice(d); return err })
		}
		if err != nil {
			if !errors.Is(err, store.ErrConstraint) && !errors.Is(err, store.ErrConflict) {
				return err
			}
			if err := issue(tag, "record", "not stored locally: "+err.Error()); err != nil {
				return err
			}
		} else if exists {
			rep.Updated++
		} else {
			rep.Created++
		}
	} else {
		rep.Skipped++
	}
	return w.SaveSyncRecord(e.Target, st)
}

func keepIdentity(d *store.Device, old store.Device, exists bool) {
	for _, f := range identityFields {
		v := ""
		if exists {
			v = DeviceFields(old)[f]
		}
		_ = SetField(d, f, v)
	}
}

// clip bounds a server string quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// applyLocal writes server values (ownership decisions) and the remote id
// to the device without journalling them.
func applyLocal(w *store.Writer, tag string, vals map[string]string, remoteID string) error {
	d, err := w.Device(tag)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	nd := d
	for f, v := range vals {
		if err := SetField(&nd, f, v); err != nil {
			return fmt.Errorf("device %s: %w", tag, err)
		}
	}
	if remoteID != "" {
		nd.CMDBID = remoteID
	}
	if (nd.Manufacturer == "") != (nd.Model == "") {
		nd.Manufacturer, nd.Model = d.Manufacturer, d.Model
	}
	return w.Savepoint(func() error { _, err := w.PutDevice(nd); return err })
}
