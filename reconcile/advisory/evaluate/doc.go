// Package evaluate measures the advisory matcher on real data: the CISA
// ICSMA CSAF files in reconcile/advisory/testdata and an inventory of
// devices named in them, with the truth of each (device, advisory) pair
// decided by hand from the advisory text (testdata/inventory.tsv). It
// reports precision and recall per flag tier and every false positive and
// negative; bench/advisoryeval prints the report and this package's test
// asserts the figures.
package evaluate
