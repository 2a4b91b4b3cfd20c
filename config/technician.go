package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/biomed-rounds/rounds/atomicfile"
)

var technicianLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*technician\s*=`) })

// SetTechnician writes technician = name into the configuration file at
// path, creating the file (0600) if there is none, so that the first-run
// question is asked once. The rest of the file (comments, targets) is kept
// as it is: a top-level technician line is replaced, else one is added
// before the first table. The new text is checked to load, with name as
// the technician, before it replaces the file atomically.
func SetTechnician(path, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("config: a technician's name is one line of text")
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("config: %w", err)
	}
	line := "technician = " + strconv.Quote(name)
	lines := strings.Split(string(b), "\n")
	if len(b) == 0 {
		lines = nil
	}
	first := len(lines)
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "[") {
			first = i
			break
		}
	}
	done := false
	for i := range lines[:first] {
		if technicianLine().MatchString(lines[i]) {
			lines[i], done = line, true
			break
		}
	}
	if !done {
		lines = append(lines[:first], append([]string{line}, lines[first:]...)...)
	}
	text := strings.Join(lines, "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	// Check the result before replacing the file: a configuration this
	// writer misread (a multi-line string, say) is left alone.
	var c Config
	if _, err := toml.Decode(text, &c); err != nil || c.Technician != name {
		return fmt.Errorf("config %s: could not add the technician without breaking the file; add technician = %s yourself", path, strconv.Quote(name))
	}
	if err := atomicfile.WriteFile(path, []byte(text)); err != nil {
		return fmt.Errorf("config: save technician: %w", err)
	}
	return nil
}
