package report

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"round", "room", "room_name", "visit_status", "kind", "asset_tag", "manufacturer",
	"model", "serial", "observed", "seen", "flags", "documents", "reason", "action", "acted_at", "resolution", "notes", "undone"}

// WriteCSV renders one row per finding, rooms in round order.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, rm := range r.Rooms {
		fs := append([]Finding(nil), rm.Findings...)
		SortFindings(fs)
		for _, f := range fs {
			var tag, manu, model, serial string
			if d := f.Device; d != nil {
				tag, manu, model, serial = d.AssetTag, d.Manufacturer, d.Model, d.Serial
			}
			observed := ""
			if len(f.Observations) > 0 {
				observed = f.Observations[0].Label()
			}
			var flags, docs []string
			for _, fl := range f.Flags {
				flags = append(flags, string(fl.Kind))
				if fl.Document != "" {
					docs = append(docs, fl.Document)
				}
			}
			row := []string{r.Round.Name, rm.Key, rm.Name, rm.Status, string(f.Kind), tag, manu, model, serial,
				observed, Seen(f.Finding), strings.Join(flags, ";"), strings.Join(docs, ";"), f.Reason, f.Action,
				inventory.FormatInstant(f.ActedAt), f.Resolution, noteText(f.Notes), strings.Join(f.Undone, "; ")}
			for i := range row {
				row[i] = inert.CSVCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// noteText joins a finding's notes into one cell, each with its author and
// time.
func noteText(ns []Note) string {
	parts := make([]string, 0, len(ns))
	for _, n := range ns {
		parts = append(parts, n.At.UTC().Format("2006-01-02 15:04")+" "+n.Actor+": "+n.Text)
	}
	return strings.Join(parts, " | ")
}
