package store

import (
	"context"
	"slices"
	"testing"
)

func TestAddressesOfClasses(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	devices := []Device{
		{AssetTag: "V-1", Manufacturer: "Hamilton Medical", Model: "HAMILTON-C6", DeviceClass: "Ventilator", IP: "10.1.2.51", MAC: "00:09:fb:00:00:51"},
		{AssetTag: "V-2", Manufacturer: "Dräger", Model: "Evita V800", DeviceClass: " ventilator ", IP: "10.1.2.52"},
		{AssetTag: "P-1", Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump", IP: "10.1.2.11"},
		{AssetTag: "X-1", Manufacturer: "Unknown", Model: "Unclassed", IP: "10.1.2.99"},
	}
	if err := s.Write(ctx, "tester", func(w *Writer) error {
		for _, d := range devices {
			if _, err := w.PutDevice(d); err != nil {
				return err
			}
		}
		v1, err := w.Device("V-1")
		if err != nil {
			return err
		}
		return w.AddIdentifier(v1.ID, Identifier{Kind: IdentIP, Value: "10.1.3.51"})
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AddressesOfClasses(ctx, []string{"VENTILATOR", "", "defibrillator"})
	if err != nil {
		t.Fatal(err)
	}
	var flat []string
	for _, a := range got {
		flat = append(flat, a.AssetTag+" "+string(a.Kind)+" "+a.Value)
	}
	want := []string{"V-1 ip 10.1.2.51", "V-1 ip 10.1.3.51", "V-1 mac 00:09:fb:00:00:51", "V-2 ip 10.1.2.52"}
	if !slices.Equal(flat, want) {
		t.Errorf("AddressesOfClasses = %q, want %q", flat, want)
	}
	if got, err := s.AddressesOfClasses(ctx, nil); err != nil || got != nil {
		t.Errorf("no classes: %v, %v", got, err)
	}
}
