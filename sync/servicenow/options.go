package servicenow

import (
	"github.com/biomed-rounds/rounds/sync"
)

// OptionKeys are the target options of kind servicenow, besides
// sync.CommonOptions and field.NAME.
var OptionKeys = []string{"auth", "table", "class", "source_name", "query", "page_size", "items_per_payload",
	"payloads_per_batch", "status_map", "overlap"}

// ParseOptions reads a servicenow target's options into a Config (without
// the client), refusing unknown keys.
func ParseOptions(o sync.Options) (Config, error) {
	c := Config{Table: o.String("table"), Class: o.String("class"), SourceName: o.String("source_name"),
		Query: o.String("query")}
	if err := o.Check(OptionKeys, true); err != nil {
		return c, err
	}
	var err error
	c.Fields = o.Fields(DefaultFields)
	if c.Overlap, err = o.Duration("overlap"); err != nil {
		return c, err
	}
	for k, dst := range map[string]*int{"page_size": &c.PageSize, "items_per_payload": &c.ItemsPerPayload,
		"payloads_per_batch": &c.PayloadsPerBatch} {
		if *dst, err = o.Int(k); err != nil {
			return c, err
		}
	}
	if c.Status, err = o.Map("status_map"); err != nil {
		return c, err
	}
	return c, nil
}
