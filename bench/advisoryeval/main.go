// Command advisoryeval measures the advisory matcher on the real CISA
// ICSMA files and the hand-made truth table in the project's testdata,
// printing precision and recall per flag tier (certain; certain plus
// possible), for the development rows, the held-out rows and all, with
// every false positive and negative.
//
//	go run ./bench/advisoryeval
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/reconcile/advisory/evaluate"
)

func main() {
	csafDir := flag.String("csaf", "reconcile/advisory/testdata/icsma", "directory of CSAF files")
	inv := flag.String("inventory", "reconcile/advisory/evaluate/testdata/inventory.tsv", "truth table")
	flag.Parse()
	if err := run(*csafDir, *inv); err != nil {
		fmt.Fprintln(os.Stderr, "advisoryeval:", err)
		os.Exit(1)
	}
}

func run(csafDir, inv string) error {
	if err := advisory.CheckTables(); err != nil {
		return err
	}
	advs, err := evaluate.LoadAdvisories(csafDir)
	if err != nil {
		return err
	}
	rows, err := evaluate.ReadInventory(inv)
	if err != nil {
		return err
	}
	m := advisory.NewMatcher(advs, nil)
	devices := map[[3]string]bool{}
	for _, r := range rows {
		devices[[3]string{r.Vendor, r.Model, r.Firmware}] = true
	}
	fmt.Printf("%d advisories, %d truth rows, %d devices (vendor, model, firmware)\n\n", len(advs), len(rows), len(devices))
	for _, s := range []struct{ set, title string }{{"dev", "development rows"}, {"held", "held-out rows"}, {"", "all rows"}} {
		evaluate.Report(os.Stdout, s.title, evaluate.Run(m, rows, s.set))
		fmt.Println()
	}
	return nil
}
