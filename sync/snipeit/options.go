package snipeit

import (
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/sync"
)

// OptionKeys are the target options of kind snipeit, besides
// sync.CommonOptions and field.NAME.
var OptionKeys = []string{"page_size", "timezone", "status_map", "overlap"}

// ParseOptions reads a snipeit target's options into a Config (without
// the client), refusing unknown keys.
func ParseOptions(o sync.Options) (Config, error) {
	var c Config
	if err := o.Check(OptionKeys, true); err != nil {
		return c, err
	}
	var err error
	c.Fields = o.Fields(DefaultFields)
	if c.Overlap, err = o.Duration("overlap"); err != nil {
		return c, err
	}
	if c.PageSize, err = o.Int("page_size"); err != nil {
		return c, err
	}
	if v := o.String("timezone"); v != "" {
		if c.Location, err = time.LoadLocation(v); err != nil {
			return c, fmt.Errorf("target %s: option timezone: %w", o.Target, err)
		}
	}
	if c.Status, err = o.Map("status_map"); err != nil {
		return c, err
	}
	return c, nil
}
