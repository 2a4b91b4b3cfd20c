// Command recoggen turns Rapid7 Recog fingerprint XML files into the
// compact table that package recog embeds.
//
// Usage:
//
//	go run ./internal/recoggen -src DIR -commit HASH -o data/fingerprints.json.gz
//
// DIR is the xml directory of a Recog checkout (github.com/rapid7/recog,
// BSD-2-Clause). Only the databases rounds can feed are kept (HTTP Server
// and title, WWW-Authenticate, SSH and telnet banners, SNMP sysDescr and
// sysObjectID). Each fingerprint keeps its pattern, flags, description,
// parameters and examples, in file order (Recog's order of preference).
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Databases are the Recog files kept.
var Databases = []string{"http_servers.xml", "html_title.xml", "http_wwwauth.xml", "ssh_banners.xml",
	"telnet_banners.xml", "snmp_sysdescr.xml", "snmp_sysobjid.xml"}

type xmlDB struct {
	Matches      string  `xml:"matches,attr"`
	Protocol     string  `xml:"protocol,attr"`
	Fingerprints []xmlFP `xml:"fingerprint"`
}

type xmlFP struct {
	Pattern     string       `xml:"pattern,attr"`
	Flags       string       `xml:"flags,attr"`
	Description string       `xml:"description"`
	Examples    []xmlExample `xml:"example"`
	Params      []xmlParam   `xml:"param"`
}

type xmlExample struct {
	Attrs []xml.Attr `xml:",any,attr"`
	Text  string     `xml:",chardata"`
}

type xmlParam struct {
	Pos   int    `xml:"pos,attr"`
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// The output format, read by package recog.
type (
	// Table is the whole output.
	Table struct {
		Source    string `json:"source"`
		DBs       []DB   `json:"dbs"`
		Generated string `json:"generated_by"`
	}
	// DB is one Recog database.
	DB struct {
		Matches      string        `json:"matches"`
		Fingerprints []Fingerprint `json:"fps"`
	}
	// Fingerprint is one Recog fingerprint.
	Fingerprint struct {
		Pattern     string    `json:"p"`
		Flags       string    `json:"f,omitempty"`
		Description string    `json:"d,omitempty"`
		Params      []Param   `json:"a,omitempty"`
		Examples    []Example `json:"e,omitempty"`
	}
	// Param is one parameter: a fixed value (Pos 0) or a capture group.
	Param struct {
		Pos   int    `json:"i"`
		Name  string `json:"n"`
		Value string `json:"v,omitempty"`
	}
	// Example is a sample text with the parameters it must yield.
	Example struct {
		Text   string            `json:"t"`
		Expect map[string]string `json:"x,omitempty"`
	}
)

func main() {
	src := flag.String("src", "", "the xml directory of a Recog checkout")
	commit := flag.String("commit", "", "the Recog commit the files come from")
	out := flag.String("o", "data/fingerprints.json.gz", "output file")
	flag.Parse()
	if *src == "" {
		fmt.Fprintln(os.Stderr, "recoggen: -src is required")
		os.Exit(2)
	}
	t := Table{Source: "github.com/rapid7/recog " + *commit, Generated: "go run ./internal/recoggen"}
	for _, name := range Databases {
		b, err := os.ReadFile(filepath.Join(*src, name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "recoggen:", err)
			os.Exit(1)
		}
		var x xmlDB
		if err := xml.Unmarshal(b, &x); err != nil {
			fmt.Fprintf(os.Stderr, "recoggen: %s: %v\n", name, err)
			os.Exit(1)
		}
		db := DB{Matches: x.Matches}
		for _, f := range x.Fingerprints {
			fp := Fingerprint{Pattern: f.Pattern, Flags: f.Flags, Description: strings.Join(strings.Fields(f.Description), " ")}
			for _, p := range f.Params {
				fp.Params = append(fp.Params, Param{Pos: p.Pos, Name: p.Name, Value: p.Value})
			}
			for _, e := range f.Examples {
				ex := Example{Text: e.Text}
				encoded := false
				for _, a := range e.Attrs {
					if a.Name.Local == "_encoding" {
						encoded = true
						continue
					}
					if ex.Expect == nil {
						ex.Expect = map[string]string{}
					}
					ex.Expect[a.Name.Local] = a.Value
				}
				if !encoded { // base64 examples are binary protocols: not kept
					fp.Examples = append(fp.Examples, ex)
				}
			}
			db.Fingerprints = append(db.Fingerprints, fp)
		}
		t.DBs = append(t.DBs, db)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(t); err != nil {
		fmt.Fprintln(os.Stderr, "recoggen:", err)
		os.Exit(1)
	}
	if err := zw.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "recoggen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "recoggen:", err)
		os.Exit(1)
	}
}
