package exchange

import (
	"github.com/biomed-rounds/rounds/sync"
)

// OptionKeys are the target options of kind file.
var OptionKeys = []string{"dir", "format", "import", "batch_size", "ownership", "concurrency"}

// ParseOptions reads a file target's options, refusing unknown keys.
func ParseOptions(o sync.Options) (Config, error) {
	c := Config{Dir: o.String("dir"), Format: o.String("format"), Import: o.String("import")}
	return c, o.Check(OptionKeys, false)
}
